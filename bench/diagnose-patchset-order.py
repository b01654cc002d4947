#!/usr/bin/env python3
"""Shows what the order of the changes in a bundle's patchset costs after
compression. Not part of bench/run: a diagnostic for docs/performance.md.

    python3 bench/diagnose-patchset-order.py BUNDLE

Reads the patchset out of BUNDLE (docs/bundle-format.md), parses it as
https://sqlite.org/sessionintro.html describes the format, and compresses
with zlib at level 9, as the publisher does:

- the patchset as published, in the order sqlite3session_diff emits it
  (the order of its hash table of primary keys, which is no useful order);
- the same changes, each table's sorted by primary key;
- the same changes in a random order, for scale.

Within a table, the changes of a patchset are independent of each other
(each is keyed by its primary key and our tables have no other
constraints), so sorting them changes nothing of what applying does.
"""
import random
import struct
import sys
import zlib


def read_bundle(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89MRCB\r\n\x1a":
        sys.exit(f"{path} is not a bundle")
    header_length = struct.unpack(">I", data[20:24])[0]
    payload_length = struct.unpack(">Q", data[24 + header_length:32 + header_length])[0]
    start = 32 + header_length
    return zlib.decompress(data[start:start + payload_length])


def varint(data, at):
    value = 0
    while True:
        byte = data[at]
        at += 1
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at


def value_end(data, at):
    kind = data[at]
    at += 1
    if kind in (1, 2):
        return at + 8
    if kind in (3, 4):
        length, at = varint(data, at)
        return at + length
    return at  # 0 undefined, 5 NULL


def parse(data):
    """[(table header bytes, [(sort key, change bytes)])] in patchset order."""
    tables, at = [], 0
    while at < len(data):
        if data[at] == ord("P"):
            start = at
            columns, at = varint(data, at + 1)
            flags = data[at:at + columns]
            at += columns
            at = data.index(b"\x00", at) + 1
            tables.append((data[start:at], columns, flags, []))
            continue
        _, columns, flags, changes = tables[-1]
        start, op = at, data[at]
        at += 2
        count = sum(1 for f in flags if f) if op == 9 else columns
        values = []
        for _ in range(count):
            end = value_end(data, at)
            values.append(data[at:end])
            at = end
        if op == 9:
            key = values
        else:
            key = [v for v, f in zip(values, flags) if f]
        changes.append((key, data[start:at]))
    return tables


def serialise(tables, order):
    out = bytearray()
    for header, _, _, changes in tables:
        out += header
        for _, change in order(changes):
            out += change
    return bytes(out)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    patchset = read_bundle(sys.argv[1])
    tables = parse(patchset)
    rng = random.Random(1)
    orders = {
        "as published": lambda changes: changes,
        "sorted by primary key": lambda changes: sorted(changes, key=lambda c: c[0]),
        "random": lambda changes: rng.sample(changes, len(changes)),
    }
    count = sum(len(t[3]) for t in tables)
    print(f"{count} changes in {len(tables)} tables, {len(patchset)} bytes uncompressed")
    for name, order in orders.items():
        data = serialise(tables, order)
        assert len(data) == len(patchset)
        print(f"{name:>22}: {len(zlib.compress(data, 9)):,} bytes after zlib -9")


if __name__ == "__main__":
    main()
