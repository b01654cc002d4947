"""The long-running service: its footprint idle and during a sync, how
fast `status` answers, and how many visitors' questions it logs per second.
See docs/performance.md for what each figure means."""
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import time

import tools
from report import Figure


class Nginx:
    """nginx on a free loopback port, started with scripts/lib/nginx.sh."""

    def __init__(self, ws):
        self.work = ws.path("nginx")
        self.srv = ws.path("srv")
        script = ('. scripts/lib/nginx.sh && nginx_start "$1" "$2" && '
                  'echo "$nginx_port" > "$1/port" && echo "$nginx_pid" > "$1/master.pid"')
        with open(ws.path("nginx.log"), "w") as log:
            subprocess.run(["sh", "-c", script, "sh", self.work, self.srv], cwd=ws.repo_root,
                           stdout=log, stderr=log, check=True)
        self.port = int(open(os.path.join(self.work, "port")).read())
        self.pid = int(open(os.path.join(self.work, "master.pid")).read())
        self.repository = os.path.join(self.srv, "repository")

    def publish(self, repo):
        """Puts a repository's files in place as mrc-publish would: the
        bundles first, the index last, each by rename."""
        names = sorted(n for n in os.listdir(repo) if n.endswith(".mrcb")) + ["index.mrci"]
        for name in names:
            temporary = os.path.join(self.repository, f".{name}.tmp")
            shutil.copy(os.path.join(repo, name), temporary)
            os.rename(temporary, os.path.join(self.repository, name))

    def stop(self):
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        tools.wait_for(lambda: not os.path.exists(f"/proc/{self.pid}"), 10, "nginx to stop")


def status(ws, centre, cpu=None):
    """Seconds one `status --json` takes, and its report. With a list as
    `cpu`, its CPU seconds are appended there: a slow run that used no
    more CPU than a fast one spent the difference waiting."""
    timing = tools.timed(ws.syncd_command(centre, "status", "--json"), ok=(0, 1))
    if cpu is not None:
        cpu.append(timing.cpu)
    return timing.seconds, json.loads(timing.output)


def daemon(ws, base_centre, base_repo, onepct_repo, idle_seconds, repeat, import_cpu):
    nginx = Nginx(ws)
    centre = ws.path("trial", "daemon")
    tools.remove(centre)
    tools.copy_synced(base_centre, centre)
    address = f"repo_url = http://127.0.0.1:{nginx.port}/\n"
    ws.configure(centre, address + "poll_interval = 1h\n")
    nginx.publish(base_repo)
    log = open(ws.path("daemon.log"), "w")
    service = subprocess.Popen(ws.syncd_command(centre, "run"), stdout=log, stderr=log)
    reference = subprocess.Popen([ws.idle, str(idle_seconds + 3600)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        tools.wait_for(lambda: is_idle(status(ws, centre)[1]), 120,
                       "the service's first check to finish")
        time.sleep(2)
        tools.PHASES.start(f"service idle: sampling for {idle_seconds:g} s beside the minimal "
                           "program")
        before = (tools.ProcessSample(service.pid), tools.ProcessSample(reference.pid))
        time.sleep(idle_seconds)
        after = (tools.ProcessSample(service.pid), tools.ProcessSample(reference.pid))
        figures = idle_figures(before, after)

        tools.PHASES.start("timing status")
        figures += status_figures(ws, centre, repeat)

        tools.PHASES.start("service syncing the 1 % delta")
        start = tools.ProcessSample(service.pid)
        nginx.publish(onepct_repo)
        ws.configure(centre, address + "poll_interval = 1s\n")
        started = time.monotonic()
        service.send_signal(signal.SIGHUP)
        during, during_cpu = [], []
        while True:
            seconds, report = status(ws, centre, during_cpu)
            during.append(seconds)
            if report.get("release") == 2 and is_idle(report):
                break
            if time.monotonic() - started > 600:
                raise RuntimeError("the service did not install release 2 within 10 minutes")
            time.sleep(0.1)
        synced = tools.ProcessSample(service.pid)
        sync_seconds = time.monotonic() - started
        ws.configure(centre, address + "poll_interval = 1h\n")
        service.send_signal(signal.SIGHUP)
        time.sleep(5)
        settled = tools.ProcessSample(service.pid)
        minimal = tools.ProcessSample(reference.pid)
        figures += sync_figures(start, synced, settled, minimal, sync_seconds,
                                (during, during_cpu), import_cpu)
    finally:
        tools.stop(service)
        tools.stop(reference)
        log.close()
        nginx.stop()
    tools.remove(centre)
    return figures


def is_idle(report):
    activity = (report.get("daemon") or {}).get("activity") or ""
    return report.get("last_poll") is not None and activity.startswith("Idle")


def idle_figures(before, after):
    (service0, minimal0), (service1, minimal1) = before, after
    seconds = service1.at - service0.at
    per_second = lambda a, b: ((b.voluntary + b.involuntary) - (a.voluntary + a.involuntary)) / seconds
    cpu_per_minute = lambda a, b: (b.cpu_seconds - a.cpu_seconds) * 60 / seconds
    wakeups = per_second(service0, service1)
    return [
        Figure("idle_rss", "service idle: resident memory (VmRSS)", service1.rss_kb, "kB",
               "minimal Foundation program", minimal1.rss_kb, target=1.5, target_text="≤ 1.5",
               details={"service": service1.memory(), "minimal": minimal1.memory(),
                        "service_threads": service1.threads,
                        "service_program": [service0.program, service1.program],
                        "service_largest_mappings": service1.largest_mappings,
                        "minimal_largest_mappings": minimal1.largest_mappings}),
        Figure("idle_cpu", "service idle: CPU time per minute", cpu_per_minute(service0, service1),
               "s", "minimal Foundation program", cpu_per_minute(minimal0, minimal1),
               details={"window_seconds": seconds}),
        Figure("idle_wakeups", "service idle: wake-ups (context switches) per second",
               wakeups, "per_s", "minimal Foundation program",
               per_second(minimal0, minimal1), target=1.0, target_text="≤ 1 /s",
               absolute=True,
               details={"window_seconds": seconds, "per_minute": wakeups * 60,
                        "voluntary": service1.voluntary - service0.voluntary,
                        "involuntary": service1.involuntary - service0.involuntary}),
    ]


def status_figures(ws, centre, repeat):
    """`status` against `help` of the same binary, alternating, so that both
    see the same load; then `status` while sqlite3 holds the write lock."""
    runs = max(repeat * 4, 20)
    help_runs, idle_runs, idle_cpu = [], [], []
    for _ in range(runs):
        help_runs.append(tools.timed(ws.syncd_command(centre, "help")).seconds)
        idle_runs.append(status(ws, centre, idle_cpu)[0])
    # A writer that holds the replica's write lock with a transaction that
    # has written (and spilled) pages, as an apply does, until told to stop.
    writer = subprocess.Popen(["sqlite3", ws.replica(centre)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    writer.stdin.write("BEGIN IMMEDIATE;\nDELETE FROM text;\nSELECT 'held';\n")
    writer.stdin.flush()
    if writer.stdout.readline().strip() != "held":
        raise RuntimeError("sqlite3 could not take the replica's write lock")
    held_runs, held_help_runs, held_cpu = [], [], []
    for _ in range(runs):
        held_help_runs.append(tools.timed(ws.syncd_command(centre, "help")).seconds)
        held_runs.append(status(ws, centre, held_cpu)[0])
    writer.stdin.write("ROLLBACK;\n.quit\n")
    writer.stdin.close()
    writer.wait()
    return [
        Figure("status_idle", "status with the service idle (median)", tools.median(idle_runs),
               "s", "mrc-syncd help", tools.median(help_runs), target=0.05,
               target_text="< 50 ms", absolute=True,
               details={"runs": idle_runs, "cpu_seconds": idle_cpu, "max": max(idle_runs),
                        "help_runs": help_runs}),
        Figure("status_writer", "status while a write transaction is held (median)",
               tools.median(held_runs), "s", "mrc-syncd help", tools.median(held_help_runs),
               target=0.05, target_text="< 50 ms", absolute=True,
               details={"runs": held_runs, "cpu_seconds": held_cpu, "max": max(held_runs),
                        "help_runs": held_help_runs}),
    ]


def sync_figures(start, synced, settled, minimal, seconds, during, import_cpu):
    return [
        Figure("sync_cpu", "service sync of the 1 % delta: CPU time",
               synced.cpu_seconds - start.cpu_seconds, "s",
               "mrc-syncd import of the same delta", import_cpu,
               details={"wall_seconds": seconds}),
        Figure("sync_peak_rss", "service: peak resident memory (VmHWM) after the sync",
               synced.hwm_kb, "kB", "minimal Foundation program", minimal.rss_kb),
        Figure("sync_settled_rss", "service: resident memory 5 s after the sync",
               settled.rss_kb, "kB", "minimal Foundation program", minimal.rss_kb),
        Figure("status_during_sync", "status while the service syncs (median)",
               tools.median(during[0]), "s", "–", None,
               note="no target; the slowest run is in the JSON",
               details={"runs": during[0], "cpu_seconds": during[1], "max": max(during[0])}),
    ]


def queries(ws, count):
    """Questions logged through serve-queries, one at a time, each answered
    after it is on disk, against sqlite3 inserting as many rows with
    synchronous=FULL, one transaction each."""
    centre = ws.centre(ws.path("trial", "queries"))
    sock = ws.path("trial", "queries", "q.sock")
    log = open(ws.path("serve-queries.log"), "w")
    server = subprocess.Popen(ws.syncd_command(centre, "serve-queries", "--socket", sock),
                              stdout=log, stderr=log)
    lines = question_lines(count)
    try:
        tools.wait_for(lambda: os.path.exists(sock), 30, "the query socket")
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.connect(sock)
        reader = client.makefile("rb")
        before = tools.ProcessSample(server.pid)
        start = time.perf_counter()
        for line in lines:
            client.sendall(line.encode() + b"\n")
            answer = json.loads(reader.readline())
            if not answer.get("ok"):
                raise RuntimeError(f"serve-queries refused a question: {answer}")
        seconds = time.perf_counter() - start
        server_cpu = tools.ProcessSample(server.pid).cpu_seconds - before.cpu_seconds
        client.close()
    finally:
        tools.stop(server)
        log.close()
    journal = tools.run(["sqlite3", os.path.join(centre, "state", "queries.sqlite"),
                         "PRAGMA journal_mode;"]).strip()

    reference_db = ws.path("trial", "queries-reference.sqlite")
    tools.remove(reference_db)
    tools.run(["sqlite3", reference_db, f"PRAGMA journal_mode = {journal};" + """
        CREATE TABLE pending_query (id INTEGER PRIMARY KEY AUTOINCREMENT, logged_at TEXT NOT NULL,
            lang TEXT, topic TEXT, channel TEXT NOT NULL, text TEXT NOT NULL,
            converted_from TEXT, redactions INTEGER NOT NULL);"""])
    script = ["PRAGMA synchronous = FULL;"]
    for line in lines:
        text = json.loads(line)["text"].replace("'", "''")
        script.append("INSERT INTO pending_query (logged_at, lang, topic, channel, text, "
                      f"redactions) VALUES (strftime('%Y-%m-%dT%H:%M:%SZ'), 'my', 'visas', "
                      f"'kiosk', '{text}', 0);")
    timing = tools.timed(["sqlite3", reference_db], stdin_text="\n".join(script) + "\n")
    empty = tools.timed(["sqlite3", reference_db], stdin_text="PRAGMA synchronous = FULL;\n")
    reference_seconds = timing.seconds - empty.seconds
    tools.remove(centre)
    tools.remove(reference_db)
    return Figure(
        "queries_per_second", "questions logged per second (serve-queries, durable)",
        count / seconds, "per_s", f"sqlite3 inserts, synchronous=FULL, {journal} mode",
        count / reference_seconds, better="higher",
        details={"questions": count, "seconds": seconds, "reference_seconds": reference_seconds,
                 "server_cpu_seconds": server_cpu, "reference_cpu_seconds": timing.cpu,
                 "journal_mode": journal})


def question_lines(count):
    """Visitors' questions, some with a phone number to scrub, as JSON lines."""
    rng = random.Random("bench-questions")
    english = ["Is this agency licensed", "How much is the fee for a job in Thailand",
               "My employer keeps my passport, what can I do",
               "Where is the Labour Exchange Office", "Call me back on 09 421 234 567"]
    burmese = ["ဒီအေဂျင်စီ လိုင်စင်ရှိပါသလား", "ထိုင်းမှာ အလုပ်လုပ်ဖို့ ဝန်ဆောင်ခ ဘယ်လောက်လဲ",
               "အလုပ်ရှင်က ပတ်စပို့ သိမ်းထားပါတယ်", "ဖုန်း ၀၉၄၂၁၂၃၄၅၆၇ ကို ဆက်ပါ"]
    lines = []
    for index in range(count):
        lang = rng.choice(["my", "en"])
        text = rng.choice(burmese if lang == "my" else english) + f" ({index})"
        lines.append(json.dumps({"text": text, "lang": lang, "topic": "bench",
                                 "channel": "kiosk"}, ensure_ascii=False))
    return lines
