#!/usr/bin/env python3
"""Shows what the order of the search-index updates costs when a release is
applied. Not part of bench/run: a diagnostic for docs/performance.md.

    python3 bench/diagnose-search-index.py REPLICA RECORDS [RUNS]

Re-indexes RECORDS articles of a copy of REPLICA (a replica with
`local_search`, as `mrc-syncd import` leaves it) in one transaction, two
ways, each on a fresh copy, RUNS times (default 3), and prints the median
seconds including COMMIT:

- per record, as Replica.updateSearchIndex does today: for each record,
  delete its rows from the FTS5 table, then insert its texts again under new
  rowids, then on to the next record;
- two phases: delete the rows of all the records first, in rowid order, then
  insert all the new rows.

FTS5 keeps the terms of a transaction in memory and writes them out as one
new segment, but it must write them out early whenever a change arrives for
a rowid at or below the last one it holds. Per record, every deletion after
the first insert is such a change, so each record ends a tiny segment of its
own, and the index's incremental merging then works through them. Two
phases let the whole change become one segment at COMMIT.
"""
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time


def texts(db, record):
    return db.execute(
        "SELECT field, lang, value FROM text WHERE kind = 'article' AND record_id = ?",
        (record,)).fetchall()


def insert(db, record, fields):
    for field, lang, value in fields:
        db.execute("INSERT INTO local_search_doc (kind, record_id, field, lang) "
                   "VALUES ('article', ?, ?, ?)", (record, field, lang))
        db.execute("INSERT INTO local_search (rowid, value) VALUES (last_insert_rowid(), ?)",
                   (value,))


def docs(db, record):
    return [row[0] for row in db.execute(
        "SELECT docid FROM local_search_doc WHERE kind = 'article' AND record_id = ?",
        (record,))]


def per_record(db, records):
    for record in records:
        for docid in docs(db, record):
            db.execute("DELETE FROM local_search WHERE rowid = ?", (docid,))
        db.execute("DELETE FROM local_search_doc WHERE kind = 'article' AND record_id = ?",
                   (record,))
        insert(db, record, texts(db, record))


def two_phases(db, records):
    old = sorted(docid for record in records for docid in docs(db, record))
    for docid in old:
        db.execute("DELETE FROM local_search WHERE rowid = ?", (docid,))
    for record in records:
        db.execute("DELETE FROM local_search_doc WHERE kind = 'article' AND record_id = ?",
                   (record,))
    for record in records:
        insert(db, record, texts(db, record))


def trial(replica, count, method, scratch):
    copy = os.path.join(scratch, "replica.sqlite")
    shutil.copy(replica, copy)
    # Written back now, not by the checkpoint that follows COMMIT.
    descriptor = os.open(copy, os.O_RDONLY)
    os.fsync(descriptor)
    os.close(descriptor)
    db = sqlite3.connect(copy, isolation_level=None)
    db.execute("PRAGMA synchronous = FULL")
    records = [row[0] for row in db.execute(
        "SELECT id FROM article ORDER BY id LIMIT ?", (count,))]
    segments = db.execute("SELECT count(*) FROM local_search_data").fetchone()[0]
    start = time.perf_counter()
    db.execute("BEGIN IMMEDIATE")
    method(db, records)
    db.execute("COMMIT")
    seconds = time.perf_counter() - start
    written = db.execute("SELECT count(*) FROM local_search_data").fetchone()[0] - segments
    db.close()
    os.remove(copy)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(copy + suffix):
            os.remove(copy + suffix)
    return seconds, written


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.split("\n\n")[1])
    replica, count = sys.argv[1], int(sys.argv[2])
    runs = int(sys.argv[3]) if len(sys.argv) == 4 else 3
    scratch = tempfile.mkdtemp(prefix="mrc-fts.")
    try:
        results = {}
        for _ in range(runs):
            for name, method in (("per record", per_record), ("two phases", two_phases)):
                results.setdefault(name, []).append(trial(replica, count, method, scratch))
        for name, values in results.items():
            seconds = statistics.median(v[0] for v in values)
            written = statistics.median(v[1] for v in values)
            print(f"{name:>10}: {seconds:.3f} s for {count} articles "
                  f"({written:.0f} index rows added)")
    finally:
        shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
