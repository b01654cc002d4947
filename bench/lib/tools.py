"""Running programs, timing them, and reading what the kernel says about a
process, for bench/run."""
import os
import selectors
import shutil
import statistics
import subprocess
import sys
import time

VERBOSE = False


def say(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def run(command, *, stdin=None, cwd=None, check=True, quiet=True, env=None, timeout=None):
    """Runs a command to its end; returns its standard output as text."""
    if VERBOSE:
        say("$ " + " ".join(map(str, command)))
    result = subprocess.run(
        [str(part) for part in command], input=stdin, cwd=cwd, env=env, timeout=timeout,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE if quiet else None, text=True)
    if check and result.returncode != 0:
        detail = (result.stderr or "").strip()[-2000:]
        raise RuntimeError(f"{' '.join(map(str, command))} exited with {result.returncode}\n{detail}")
    return result.stdout


class Timing:
    """Wall-clock seconds of one run of a program, with its CPU time and
    peak resident memory from wait4(2), and when a marker line came."""

    def __init__(self, seconds, user, system, max_rss_kb, status, output, marker_seconds,
                 start_marker_seconds=None):
        self.seconds = seconds
        self.user = user
        self.system = system
        self.cpu = user + system
        self.max_rss_kb = max_rss_kb
        self.status = status
        self.output = output
        # Seconds from before the fork to the arrival of the first line of
        # standard error containing the marker; None without one.
        self.marker_seconds = marker_seconds
        self.start_marker_seconds = start_marker_seconds


def timed(command, *, stdin_file=None, stdin_text=None, ok=(0,), cwd=None, env=None,
          marker=None, start_marker=None):
    """Runs `command` once and times it from just before the fork to the
    moment wait4 returns: process start-up is included, which callers
    subtract with an empty run of the same program. With `marker` (bytes),
    also notes when a line of standard error holding it arrives: the
    program writes that line with one write(2), unbuffered, as it happens.
    `start_marker` likewise, for an earlier line."""
    stdin = subprocess.PIPE if stdin_text is not None else None
    handle = open(stdin_file, "rb") if stdin_file else None
    marker_seconds = None
    start_marker_seconds = None
    try:
        start = time.perf_counter()
        process = subprocess.Popen(
            [str(part) for part in command], stdin=handle or stdin, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, cwd=cwd, env=env)
        if stdin_text is not None:
            process.stdin.write(stdin_text.encode())
            process.stdin.close()
        # Reading the pipes to their end before wait4 keeps a chatty child
        # from blocking on a full pipe; they close when it exits.
        chunks = {process.stdout: [], process.stderr: []}
        with selectors.DefaultSelector() as selector:
            for pipe in chunks:
                selector.register(pipe, selectors.EVENT_READ)
            while selector.get_map():
                for key, _ in selector.select():
                    data = os.read(key.fileobj.fileno(), 65536)
                    if not data:
                        selector.unregister(key.fileobj)
                        continue
                    chunks[key.fileobj].append(data)
                    if (start_marker is not None and start_marker_seconds is None
                            and key.fileobj is process.stderr
                            and start_marker in b"".join(chunks[process.stderr])):
                        start_marker_seconds = time.perf_counter() - start
                    if (marker is not None and marker_seconds is None
                            and key.fileobj is process.stderr
                            and marker in b"".join(chunks[process.stderr])):
                        marker_seconds = time.perf_counter() - start
        output = b"".join(chunks[process.stdout])
        errors = b"".join(chunks[process.stderr])
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
    finally:
        if handle:
            handle.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in ok:
        raise RuntimeError(
            f"{' '.join(map(str, command))} exited with {process.returncode}\n"
            f"{errors.decode(errors='replace')[-2000:]}")
    for wanted, seen in ((marker, marker_seconds), (start_marker, start_marker_seconds)):
        if wanted is not None and seen is None:
            raise RuntimeError(f"{' '.join(map(str, command))} never wrote {wanted!r}")
    return Timing(seconds, usage.ru_utime, usage.ru_stime, usage.ru_maxrss,
                  process.returncode, output.decode(errors="replace"), marker_seconds,
                  start_marker_seconds)


class Phases:
    """Wall-clock seconds of each phase of the run, for the JSON: where the
    run's time goes, and which phases ran under what load."""

    def __init__(self):
        self.seconds = {}
        self.load = {}
        self.name = None
        self.started = None

    def start(self, name):
        self.stop()
        say(name)
        self.name, self.started = name, time.monotonic()

    def stop(self):
        if self.name:
            self.seconds[self.name] = round(time.monotonic() - self.started, 1)
            self.load[self.name] = round(os.getloadavg()[0], 2)
            self.name = None


PHASES = Phases()


def median(values):
    return statistics.median(values)


def copy_synced(source, destination):
    """Copies a file or a folder and flushes the copy to disk, so that the
    run measured next does not pay for writing back the copy's pages when
    it syncs the same file."""
    if os.path.isdir(source):
        shutil.copytree(source, destination)
        files = [os.path.join(root, name)
                 for root, _, names in os.walk(destination) for name in names]
    else:
        shutil.copy2(source, destination)
        files = [destination]
    for path in files:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def remove(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)


# Processes -----------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


class ProcessSample:
    """What /proc says about a process and all its threads at one moment."""

    def __init__(self, pid):
        self.at = time.monotonic()
        # The program the process runs now: an idle service has executed
        # mrc-syncd-idle in its own place.
        self.program = os.path.basename(os.readlink(f"/proc/{pid}/exe"))
        status = read_status(f"/proc/{pid}/status")
        self.rss_kb = status["VmRSS"]
        self.hwm_kb = status["VmHWM"]
        self.threads = status["Threads"]
        self.rss_anon_kb = status.get("RssAnon")
        self.rss_file_kb = status.get("RssFile")
        self.largest_mappings = largest_mappings(pid)
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        # utime and stime are fields 14 and 15 of stat(5), counted from 1;
        # fields[0] is field 3. They cover all threads of the process.
        self.cpu_seconds = (int(fields[11]) + int(fields[12])) / TICKS
        # Context switches are counted per thread: sum them over all threads.
        self.voluntary = self.involuntary = 0
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                counts = read_status(f"/proc/{pid}/task/{task}/status")
            except FileNotFoundError:
                continue
            self.voluntary += counts["voluntary_ctxt_switches"]
            self.involuntary += counts["nonvoluntary_ctxt_switches"]


    def memory(self):
        return {"rss_kb": self.rss_kb, "hwm_kb": self.hwm_kb, "rss_anon_kb": self.rss_anon_kb,
                "rss_file_kb": self.rss_file_kb}


def largest_mappings(pid, count=15):
    """Resident kB per mapped file (or [heap], [anon], [stack]) from
    /proc/PID/smaps, largest first: where the memory of a process is."""
    sizes = {}
    name = None
    try:
        with open(f"/proc/{pid}/smaps") as smaps:
            for line in smaps:
                first = line.split(None, 1)[0]
                if first.endswith(":"):
                    if first == "Rss:":
                        sizes[name] = sizes.get(name, 0) + int(line.split()[1])
                    continue
                parts = line.split(None, 5)
                name = os.path.basename(parts[5].strip()) if len(parts) > 5 else "[anon]"
    except PermissionError:
        return {}
    return dict(sorted(sizes.items(), key=lambda item: -item[1])[:count])


def read_status(path):
    values = {}
    with open(path) as file:
        for line in file:
            key, _, value = line.partition(":")
            value = value.split()
            if value and value[0].isdigit():
                values[key] = int(value[0])
    return values


def wait_for(predicate, timeout, what, interval=0.2):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def stop(process, timeout=20):
    """Stops a process this program started, with SIGTERM, then SIGKILL."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
