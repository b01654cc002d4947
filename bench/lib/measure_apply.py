"""Bundle sizes and apply times, each against its reference from the same
run. See docs/performance.md for what each figure means."""
import json
import os
import subprocess

import content
import tools
from report import Figure


class Empty:
    """Start-up times of the programs timed from the outside, as the median
    of a few empty runs, to subtract from their measured runs."""

    def __init__(self, ws, centre, repeat):
        self.syncd = tools.median(
            [tools.timed(ws.syncd_command(centre, "help")).seconds for _ in range(repeat)])
        scratch = ws.path("empty.sqlite")
        tools.run(["sqlite3", scratch, "PRAGMA journal_mode = WAL; CREATE TABLE t (x);"])
        self.sqlite3 = tools.median([tools.timed(
            ["sqlite3", scratch], stdin_text="PRAGMA synchronous = FULL; BEGIN; COMMIT;\n").seconds
            for _ in range(repeat)])


# What `mrc-syncd import` writes to standard error once a release is
# committed and checked, before the search index catches up with it.
INSTALLED = b"installed and checked."
# ... and just before it begins to install one.
INSTALLING = b"] Installing "


def import_seconds(ws, centre, bundle, empty):
    """Seconds until the release was installed, and until the import ended
    with the search index caught up, both minus start-up; and the timing."""
    timing = tools.timed(ws.syncd_command(centre, "import", bundle), marker=INSTALLED)
    return timing.marker_seconds - empty.syncd, timing.seconds - empty.syncd, timing


def fresh_centre(ws, base_centre, name):
    trial = ws.path("trial", name)
    tools.remove(trial)
    os.makedirs(os.path.dirname(trial), exist_ok=True)
    tools.copy_synced(base_centre, trial)
    return trial


def same_content(ws, replica, expected, name):
    """True when the content tables of `replica` equal the database
    `expected`, as sqldiff sees them."""
    exported = ws.path("db", f"check-{name}.sqlite")
    tools.remove(exported)
    content.export(replica, exported)
    difference = tools.run(["sqldiff", exported, expected])
    tools.remove(exported)
    return difference.strip() == ""


def delta_size(ws, onepct_repo, rel1, rel2):
    """Figures 1-3: bytes of the 1 % delta against three references."""
    delta = ws.delta(onepct_repo)
    size = os.path.getsize(delta)
    rows = content.row_count(rel2)
    sql = ws.path("db", "onepct.sqldiff.sql")
    with open(sql, "w") as out:
        out.write(tools.run(["sqldiff", rel1, rel2]))
    floor, counts = content.changed_values(rel1, rel2)
    floor_file = ws.path("db", "onepct.changed-values")
    with open(floor_file, "wb") as out:
        out.write(floor)
    changes = json.loads(tools.run([ws.apply_patchset, "count", delta]))
    details = {"changed_rows": changes["changes"], "rows_in_release": rows,
               "patchset": changes, "changed_values": counts,
               "changed_values_bytes": len(floor), "sqldiff_sql_bytes": os.path.getsize(sql)}
    share = f"{changes['changes']:,} of {rows:,} rows changed"
    return [
        Figure("delta_vs_db_gzip", f"1 % delta bundle ({share}) vs whole new database",
               size, "bytes", "content database, gzip -9", content.gzip9_size(rel2),
               details=details),
        Figure("delta_vs_sqldiff_gzip", "1 % delta bundle vs sqldiff SQL",
               size, "bytes", "sqldiff output, gzip -9", content.gzip9_size(sql),
               target=1.0, target_text="≤ 1"),
        Figure("delta_vs_changed_values", "1 % delta bundle vs changed values alone",
               size, "bytes", "changed values, gzip -9", content.gzip9_size(floor_file),
               target=1.05, target_text="≤ 1.05"),
    ]


def snapshot_import(ws, repo, base_centre, empty):
    """Imports the snapshot into a new centre, which stays as the base of
    the other measurements, and times gunzip of the database it made."""
    tools.PHASES.start("importing the full snapshot (the base replica for what follows)")
    seconds, total, timing = import_seconds(ws, base_centre, ws.snapshot(repo), empty)
    replica = ws.replica(base_centre)
    packed = ws.path("db", "replica.sqlite.gz")
    tools.PHASES.start("compressing the replica for the gunzip reference")
    # gzip's fastest level: -9 takes minutes on a database this size, and
    # the level hardly changes how fast gunzip runs.
    with open(packed, "wb") as out:
        subprocess.run(["gzip", "-1", "-n", "-c", replica], stdout=out, check=True)
    target_dir = ws.path("trial", "gunzip")
    tools.remove(target_dir)
    os.makedirs(target_dir)
    reference = tools.timed([
        "sh", "-c", 'cp "$1" "$2/r.gz" && gunzip "$2/r.gz" && sync "$2/r"', "sh", packed,
        target_dir])
    tools.remove(target_dir)
    tools.remove(packed)
    details = {"replica_bytes": os.path.getsize(replica),
               "snapshot_bytes": os.path.getsize(ws.snapshot(repo)),
               "import_cpu_seconds": timing.cpu, "import_max_rss_kb": timing.max_rss_kb,
               "installed_seconds": seconds, "with_search_index_seconds": total}
    return [
        Figure("snapshot_import_vs_gunzip", "import of the full snapshot, until installed",
               seconds, "s", "copy + gunzip + fsync of the replica it makes", reference.seconds,
               details=details),
        Figure("snapshot_import_with_index_vs_gunzip",
               "the same import, until its search index is built",
               total, "s", "copy + gunzip + fsync of the replica it makes", reference.seconds),
    ]


def heavy_apply(ws, heavy_repo, base_centre, rel1, empty, repeat):
    """Figures: the ~100,000-row delta through mrc-syncd import, the sqlite3
    shell running sqldiff's SQL, and sqlite3changeset_apply."""
    delta = ws.delta(heavy_repo)
    changes = json.loads(tools.run([ws.apply_patchset, "count", delta]))
    tools.PHASES.start(f"applying the heavy delta ({changes['changes']:,} rows), "
                       f"{repeat} time(s) each way")
    product, with_index, shell, changeset, peak_rss = [], [], [], [], []

    def run_product(first):
        centre = fresh_centre(ws, base_centre, "heavy-product")
        seconds, total, timing = import_seconds(ws, centre, delta, empty)
        product.append(seconds)
        with_index.append(total)
        peak_rss.append(timing.max_rss_kb)
        if first:
            content.export(ws.replica(centre), rel2)
        tools.remove(centre)

    def run_shell(check):
        centre = fresh_centre(ws, base_centre, "heavy-shell")
        timing = tools.timed(["sqlite3", ws.replica(centre)], stdin_file=script)
        shell.append(timing.seconds - empty.sqlite3)
        if check and not same_content(ws, ws.replica(centre), rel2, "shell"):
            raise RuntimeError("sqldiff's SQL did not reproduce the new release")
        tools.remove(centre)

    def run_changeset(check):
        centre = fresh_centre(ws, base_centre, "heavy-changeset")
        result = json.loads(tools.run([ws.apply_patchset, "apply", ws.replica(centre), delta]))
        changeset.append(result["seconds"])
        if check and not same_content(ws, ws.replica(centre), rel2, "changeset"):
            raise RuntimeError("sqlite3changeset_apply did not reproduce the new release")
        tools.remove(centre)

    rel2 = ws.path("db", "rel2-heavy.sqlite")
    tools.remove(rel2)
    run_product(first=True)
    script = ws.path("db", "heavy.sql")
    with open(script, "w") as out:
        out.write("PRAGMA synchronous = FULL;\nBEGIN;\n")
        out.write(tools.run(["sqldiff", rel1, rel2]))
        out.write("COMMIT;\n")
    run_shell(check=True)
    run_changeset(check=True)
    for _ in range(repeat - 1):
        run_product(first=False)
        run_shell(check=False)
        run_changeset(check=False)
    seconds = tools.median(product)
    details = {"changed_rows": changes["changes"], "patchset": changes,
               "product_runs": product, "product_with_search_index_runs": with_index,
               "shell_runs": shell, "changeset_apply_runs": changeset,
               "sqldiff_sql_bytes": os.path.getsize(script)}
    return [
        Figure("heavy_apply_vs_sqlite3_shell",
               f"apply a {changes['changes']:,}-row delta (mrc-syncd import)",
               seconds, "s", "sqlite3 shell, sqldiff SQL in one transaction",
               tools.median(shell), target=1.0, target_text="≤ 1", details=details),
        Figure("heavy_apply_vs_changeset_apply",
               f"apply a {changes['changes']:,}-row delta (mrc-syncd import)",
               seconds, "s", "sqlite3changeset_apply (C)", tools.median(changeset),
               target=1.5, target_text="≤ 1.5"),
        Figure("heavy_import_with_index_vs_sqlite3_shell",
               "the same import, until the search index has caught up",
               tools.median(with_index), "s", "sqlite3 shell, sqldiff SQL in one transaction",
               tools.median(shell),
               note="no target; the index is brought up to the release after it is installed"),
        Figure("heavy_apply_peak_rss", "peak RSS of that import",
               tools.median(peak_rss), "kB", "–", None,
               note="no reference; for the record"),
    ]


def onepct_apply(ws, onepct_repo, base_centre, rel1, empty, repeat):
    """Applies the 1 % delta with mrc-syncd and with the C reference; the
    first product run also leaves the new release's content database."""
    delta = ws.delta(onepct_repo)
    rel2 = ws.path("db", "rel2-onepct.sqlite")
    product, changeset, cpu = [], [], []
    for trial in range(repeat):
        centre = fresh_centre(ws, base_centre, "onepct-product")
        seconds, _, timing = import_seconds(ws, centre, delta, empty)
        product.append(seconds)
        cpu.append(timing.cpu)
        if trial == 0:
            content.export(ws.replica(centre), rel2)
        tools.remove(centre)
        centre = fresh_centre(ws, base_centre, "onepct-changeset")
        result = json.loads(tools.run([ws.apply_patchset, "apply", ws.replica(centre), delta]))
        changeset.append(result["seconds"])
        tools.remove(centre)
    figure = Figure(
        "onepct_apply_vs_changeset_apply", "apply the 1 % delta (mrc-syncd import)",
        tools.median(product), "s", "sqlite3changeset_apply (C)", tools.median(changeset),
        note="no target; for comparison with the heavy delta",
        details={"product_runs": product, "changeset_apply_runs": changeset,
                 "import_cpu_seconds": tools.median(cpu)})
    return figure, rel2


def scale_apply(ws, large_repo, large_centre, small_repo, small_centre, repeat):
    """The same 100-row change applied onto replicas ten times apart. The
    apply takes milliseconds, less than the jitter of starting a program,
    so each run is timed between two lines of the import's progress: the
    one it writes before installing the bundle and the one after."""
    large, small, whole = [], [], []
    changes = json.loads(tools.run([ws.apply_patchset, "count", ws.delta(small_repo)]))
    for _ in range(repeat):
        for repo, base, runs, name in ((large_repo, large_centre, large, "large"),
                                       (small_repo, small_centre, small, "small")):
            centre = fresh_centre(ws, base, f"rows100-{name}")
            timing = tools.timed(ws.syncd_command(centre, "import", ws.delta(repo)),
                                 marker=INSTALLED, start_marker=INSTALLING)
            runs.append(timing.marker_seconds - timing.start_marker_seconds)
            whole.append({"replica": name, "to_installed": timing.marker_seconds,
                          "to_exit": timing.seconds})
            tools.remove(centre)
    return Figure(
        "apply_100_rows_10x_replica",
        f"apply the same {changes['changes']}-row delta onto a 10× larger replica",
        tools.median(large), "s", "same delta onto the small replica", tools.median(small),
        target=1.5, target_text="≤ 1.5",
        details={"large_runs": large, "small_runs": small, "whole_runs": whole,
                 "patchset": changes,
                 "large_replica_bytes": os.path.getsize(ws.replica(large_centre)),
                 "small_replica_bytes": os.path.getsize(ws.replica(small_centre))})
