"""The content tables of a replica on their own, and what a change between
two of them costs in bytes, for bench/run."""
import sqlite3
import subprocess

# Content tables as docs/content-format.md lists them; replica_meta and the
# local_* search tables are the replica's own and never compared.
TABLES = ["topic", "article", "contact", "agency", "text", "acknowledgement"]


def export(replica, out):
    """Writes the content tables of `replica`, with their declared schema
    and nothing else, into a new database `out`, vacuumed."""
    db = sqlite3.connect(out, isolation_level=None)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("ATTACH ? AS replica", (f"file:{replica}?mode=ro",))
    db.execute("BEGIN")
    for table in TABLES:
        sql = db.execute(
            "SELECT sql FROM replica.sqlite_schema WHERE type = 'table' AND name = ?",
            (table,)).fetchone()[0]
        db.execute(sql)
        db.execute(f'INSERT INTO main."{table}" SELECT * FROM replica."{table}"')
    db.execute("COMMIT")
    db.execute("DETACH replica")
    db.execute("VACUUM")
    db.close()


def row_count(database):
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return sum(db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in TABLES)
    finally:
        db.close()


def changed_values(old, new):
    """The change from `old` to `new` reduced to what must travel: per
    table, the key of each deleted row; each added row whole; and for each
    changed row its key and the new values of the columns that changed, each
    with the column's position. One separator byte between values and
    between rows, the table's name once; no other framing. Rows are in key
    order, which is the order that compresses best.

    Returns (bytes, {"inserts": I, "updates": U, "deletes": D})."""
    db = sqlite3.connect(f"file:{new}?mode=ro", uri=True)
    db.execute("ATTACH ? AS old", (f"file:{old}?mode=ro",))
    out = bytearray()
    counts = {"inserts": 0, "updates": 0, "deletes": 0}
    for table in TABLES:
        info = list(db.execute(f'PRAGMA main.table_info("{table}")'))
        columns = [row[1] for row in info]
        key = [row[1] for row in sorted((r for r in info if r[5] > 0), key=lambda r: r[5])]
        quoted = lambda alias, names: ", ".join(f'{alias}."{n}"' for n in names)
        on = " AND ".join(f'n."{k}" = o."{k}"' for k in key)
        section = bytearray()
        deleted = db.execute(
            f'SELECT {quoted("o", key)} FROM old."{table}" o '
            f'LEFT JOIN main."{table}" n ON {on} WHERE n."{key[0]}" IS NULL '
            f'ORDER BY {quoted("o", key)}')
        for row in deleted:
            section += b"D" + b"\x1f".join(encode(v) for v in row) + b"\x1e"
            counts["deletes"] += 1
        width = len(columns)
        key_positions = [columns.index(k) for k in key]
        rows = db.execute(
            f'SELECT {quoted("n", columns)}, {quoted("o", columns)}, o."{key[0]}" IS NULL '
            f'FROM main."{table}" n LEFT JOIN old."{table}" o ON {on} '
            f'ORDER BY {quoted("n", key)}')
        for row in rows:
            new_row, old_row, added = row[:width], row[width:2 * width], row[-1]
            if added:
                section += b"I" + b"\x1f".join(encode(v) for v in new_row) + b"\x1e"
                counts["inserts"] += 1
                continue
            changed = [i for i in range(width) if new_row[i] != old_row[i]]
            if not changed:
                continue
            section += (b"U" + b"\x1f".join(encode(new_row[i]) for i in key_positions)
                        + b"".join(b"\x1d" + bytes([i]) + encode(new_row[i]) for i in changed)
                        + b"\x1e")
            counts["updates"] += 1
        if section:
            out += table.encode() + b"\n" + section
    db.close()
    return bytes(out), counts


def encode(value):
    if value is None:
        return b"\x00"
    if isinstance(value, bytes):
        return value
    return str(value).encode()


def gzip9_size(path):
    """The size in bytes of the file at `path` compressed by `gzip -9`."""
    result = subprocess.run(["gzip", "-9", "-n", "-c", path], stdout=subprocess.PIPE, check=True)
    return len(result.stdout)
