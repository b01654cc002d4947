"""Shared pieces of the reliability suites: the tools, keys, content,
the signed container, the replica checks, nginx and the central side.

Only the Python standard library and the system's libsodium (through
ctypes) are used, so the suites run wherever the product builds.
"""

import atexit
import base64
import ctypes
import ctypes.util
import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "content"

# Exit codes, from docs/cli.md.
UNTRUSTED, BAD_SIGNATURE, INCOMPLETE = 10, 11, 12
WRONG_CHANNEL, ROLLBACK, BASE_MISMATCH, DIGEST_MISMATCH = 13, 14, 15, 16
UNSUPPORTED, MALFORMED, NO_CHAIN, STORAGE, BUSY = 17, 18, 19, 20, 21
NOT_A_BUNDLE, NETWORK, STALE_INDEX = 22, 40, 42


def known_issues():
    """The ids in reliability/known-issues.txt: product bugs found and not
    fixed yet, which the suites report without failing."""
    path = ROOT / "reliability" / "known-issues.txt"
    ids = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            ids.append(line.split()[0])
    return ids


def say(*parts):
    print(*parts, flush=True)


def warn(*parts):
    print(*parts, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- tools

def bin_dir():
    """The folder holding mrc-syncd and mrc-publish: $MRC_BIN, or the
    package's debug build, built first if it is missing."""
    if os.environ.get("MRC_BIN"):
        return Path(os.environ["MRC_BIN"])
    path = Path(subprocess.run(
        ["swift", "build", "--show-bin-path"], cwd=ROOT, check=True,
        capture_output=True, text=True).stdout.strip())
    if not ((path / "mrc-syncd").exists() and (path / "mrc-publish").exists()):
        warn(f"building mrc-syncd and mrc-publish into {path} (swift build)")
        subprocess.run(["swift", "build", "--product", "mrc-syncd"], cwd=ROOT, check=True)
        subprocess.run(["swift", "build", "--product", "mrc-publish"], cwd=ROOT, check=True)
    return path


class Tools:
    """The two programs, copied once into a private folder: a suite then
    runs one build throughout, even while someone rebuilds the package
    (which would otherwise fail an exec with 'Text file busy', or swap
    the program in the middle of a run)."""

    def __init__(self):
        folder = bin_dir()
        private = Path(tempfile.mkdtemp(prefix="mrc-tools-"))
        atexit.register(shutil.rmtree, private, True)
        for attempt in range(10):
            try:
                for name in ("mrc-syncd", "mrc-publish"):
                    shutil.copy2(folder / name, private / name)
                    check = subprocess.run([str(private / name), "help"], capture_output=True)
                    if check.returncode != 0:
                        raise OSError(f"{name} help exited {check.returncode}")
                break
            except OSError as error:
                # A build is writing the programs right now: wait for it.
                warn(f"could not take a copy of the programs ({error}); trying again")
                time.sleep(15)
        else:
            raise SystemExit(f"no working mrc-syncd and mrc-publish in {folder}")
        self.syncd = str(private / "mrc-syncd")
        self.publish = str(private / "mrc-publish")

    def run(self, program, args, env=None, timeout=120, prefix=()):
        full_env = dict(os.environ)
        full_env.pop("MRC_SYNCD_CRASH_AT", None)
        if env:
            full_env.update(env)
        return subprocess.run(
            list(prefix) + [program] + list(args), env=full_env, capture_output=True,
            text=True, errors="replace", timeout=timeout)

    def syncd_run(self, config, *args, **kw):
        return self.run(self.syncd, ["--config", str(config)] + list(args), **kw)

    def publish_run(self, *args, **kw):
        return self.run(self.publish, list(args), **kw)


# ---------------------------------------------------------------- keys

class Sodium:
    """The few libsodium calls the suites need: Ed25519 key pairs and
    detached signatures, to sign files the way mrc-publish does."""

    def __init__(self):
        name = ctypes.util.find_library("sodium") or "libsodium.so.23"
        self.lib = ctypes.CDLL(name)
        if self.lib.sodium_init() < 0:
            raise RuntimeError("sodium_init failed")

    def keypair(self):
        public = ctypes.create_string_buffer(32)
        secret = ctypes.create_string_buffer(64)
        self.lib.crypto_sign_keypair(public, secret)
        return public.raw, secret.raw

    def sign(self, message, secret):
        signature = ctypes.create_string_buffer(64)
        length = ctypes.c_ulonglong(0)
        self.lib.crypto_sign_detached(
            signature, ctypes.byref(length), message, ctypes.c_ulonglong(len(message)), secret)
        return signature.raw


def read_key(path, tag):
    text = Path(path).read_text().strip()
    found, encoded = text.split(" ", 1)
    if found != tag:
        raise ValueError(f"{path}: expected {tag}, found {found}")
    return base64.b64decode(encoded)


def write_key(path, tag, raw):
    Path(path).write_text(f"{tag} {base64.b64encode(raw).decode()}\n")


def key_id(public):
    return hashlib.blake2b(public, digest_size=32).digest()[:8]


def keygen(tools, folder):
    folder = Path(folder)
    result = tools.publish_run("keygen", "--out", str(folder))
    if result.returncode != 0:
        raise RuntimeError(f"mrc-publish keygen failed: {result.stderr}")
    return folder


# ---------------------------------------------------------------- container

MAGIC = {"bundle": b"\x89MRCB\r\n\x1a", "index": b"\x89MRCI\r\n\x1a"}


def layout(data):
    """The sections of a well-formed container, as docs/bundle-format.md
    lays them out: name -> (start, end)."""
    h = int.from_bytes(data[20:24], "big")
    n = len(data)
    return {
        "magic": (0, 8), "version": (8, 10), "flags": (10, 12), "length": (12, 20),
        "header-length": (20, 24), "header": (24, 24 + h),
        "payload-length": (24 + h, 32 + h), "payload": (32 + h, n - 72),
        "key-id": (n - 72, n - 64), "signature": (n - 64, n),
    }


def header_of(data):
    start, end = layout(data)["header"]
    return json.loads(data[start:end])


def seal(kind, header, payload, secret, key=None):
    """Lays out and signs a container exactly as SignedFile.seal does;
    `key` overrides the key id written (to forge one)."""
    public = secret[32:]
    total = 20 + 4 + len(header) + 8 + len(payload) + 72
    out = bytearray(MAGIC[kind])
    out += (1).to_bytes(2, "big") + (0).to_bytes(2, "big") + total.to_bytes(8, "big")
    out += len(header).to_bytes(4, "big") + header
    out += len(payload).to_bytes(8, "big") + payload
    out += key if key is not None else key_id(public)
    out += Sodium().sign(bytes(out), secret)
    return bytes(out)


def resign(data, secret, key=None):
    """The same bytes up to the key id, signed again with `secret`."""
    body = bytearray(data[:-72])
    body += key if key is not None else key_id(secret[32:])
    return bytes(body) + Sodium().sign(bytes(body), secret)


def expected_refusal(data, kind, trusted_ids):
    """The exit statuses that the documented reading order allows for a
    file that fails before the signature check passes (steps 1 to 6 of
    docs/bundle-format.md), or None when steps 1 to 6 pass."""
    n = len(data)
    if n < 8 or data[:8] != MAGIC[kind]:
        return {NOT_A_BUNDLE}
    if n < 20:
        return {INCOMPLETE}
    version = int.from_bytes(data[8:10], "big")
    declared = int.from_bytes(data[12:20], "big")
    if version == 0 or declared > (1 << 34):
        return {BAD_SIGNATURE}
    if version != 1:
        return {UNSUPPORTED}
    if n < declared:
        return {INCOMPLETE}
    if n > declared or declared < 104:
        return {BAD_SIGNATURE}
    if data[n - 72:n - 64] not in trusted_ids:
        return {UNTRUSTED}
    return None


# ---------------------------------------------------------------- files

def sha256(path):
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def replica_fingerprint(state):
    """sha256 of replica.sqlite and replica.sqlite-wal: the bytes that no
    refused input may change."""
    base = Path(state) / "replica.sqlite"
    return (sha256(base), sha256(str(base) + "-wal"))


def integrity(path):
    """SQLite's integrity_check of a database, read-only: 'ok' or the
    problems, or None when the file does not exist."""
    if not Path(path).exists():
        return None
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
    finally:
        connection.close()
    return "; ".join(str(row[0]) for row in rows)


def replica_meta(state):
    path = Path(state) / "replica.sqlite"
    if not path.exists():
        return {}
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return dict(connection.execute("SELECT key, value FROM replica_meta").fetchall())
    except sqlite3.OperationalError:
        return {}
    finally:
        connection.close()


def state_json(state):
    try:
        return json.loads((Path(state) / "state.json").read_text())
    except (FileNotFoundError, ValueError):
        return {}


def write_config(path, state, keys, repo_url=None, upload_url=None, extra=""):
    """A centre's configuration; `keys` is the folder mrc-publish keygen
    wrote (publisher.pub is pinned, inbox.pub seals questions)."""
    lines = [
        f"state_dir = {state}",
        f"trusted_keys = {Path(keys) / 'publisher.pub'}",
        "channel = mm-main",
        "centre_id = rel-centre",
        f"inbox_key = {Path(keys) / 'inbox.pub'}",
    ]
    if repo_url:
        lines.append(f"repo_url = {repo_url}")
    if upload_url:
        lines.append(f"upload_url = {upload_url}")
    Path(path).write_text("\n".join(lines) + "\n" + extra + "\n")


# ---------------------------------------------------------------- content

WORDS = (
    "contract wage visa passport agency licence employer fee deposit embassy "
    "hotline worker rights overtime holiday salary deduction recruiter broker "
    "insurance medical training document permit renewal complaint office "
    "township family loan interest transfer remittance border return safety"
).split()


def make_content(dest, seed, release, extra_articles=20, churn=0.1):
    """Writes a valid content folder: samples/content plus synthetic
    articles, varied by (seed, release) so that every release differs.
    `churn` is the share of synthetic articles rewritten in this release,
    which sets the size of the delta."""
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(SAMPLES, dest)
    articles = json.loads((dest / "articles.json").read_text())
    agencies = json.loads((dest / "agencies.json").read_text())
    template = articles[0]
    base_rng = random.Random(f"{seed}-base")
    for number in range(extra_articles):
        rewrite_in = [r for r in range(1, release + 1)
                      if random.Random(f"{seed}-{r}-{number}").random() < churn]
        version = rewrite_in[-1] if rewrite_in else 0
        rng = random.Random(f"{seed}-{number}-{version}")
        body = "\n\n".join(
            " ".join(rng.choice(WORDS) for _ in range(120)).capitalize() + "."
            for _ in range(4))
        article = dict(template)
        article["id"] = f"synthetic-{number}"
        article["title"] = dict(template["title"], en=f"Synthetic article {base_rng.random():.6f}")
        article["body"] = dict(template["body"], en=body)
        articles.append(article)
    # Every release changes at least one small thing.
    rng = random.Random(f"{seed}-release-{release}")
    agency = agencies[rng.randrange(len(agencies))]
    agency["status"] = rng.choice(["licensed", "suspended", "revoked"])
    agency["status_since"] = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    articles[1]["summary"] = dict(
        articles[1]["summary"], en=f"Checked again for release {release} of run {seed}.")
    (dest / "articles.json").write_text(json.dumps(articles, ensure_ascii=False, indent=1))
    (dest / "agencies.json").write_text(json.dumps(agencies, ensure_ascii=False, indent=1))
    return dest


class Central:
    """The central office: keys, a repository, the uploads folder and the
    database that `mrc-publish ingest` fills."""

    def __init__(self, tools, root, seed, extra_articles=20, churn=0.1):
        self.tools = tools
        self.root = Path(root)
        self.keys = keygen(tools, self.root / "keys")
        self.srv = self.root / "srv"
        self.repo = self.srv / "repository"
        self.uploads = self.srv / "uploads"
        self.repo.mkdir(parents=True, exist_ok=True)
        self.uploads.mkdir(parents=True, exist_ok=True)
        self.inbox_db = self.root / "central.sqlite"
        self.seed = seed
        self.extra_articles = extra_articles
        self.churn = churn
        self.releases = {}  # release -> content digest
        self.latest = 0

    def publish(self, churn=None, inbox=False):
        content = make_content(
            self.root / "content", self.seed, self.latest + 1, self.extra_articles,
            self.churn if churn is None else churn)
        args = ["release", "--content", str(content), "--repo", str(self.repo),
                "--key", str(self.keys / "publisher.key")]
        if inbox and self.inbox_db.exists():
            args += ["--inbox-db", str(self.inbox_db)]
        result = self.tools.publish_run(*args)
        if result.returncode != 0 or not result.stdout.strip():
            raise RuntimeError(f"mrc-publish release failed: {result.stderr}")
        release = int(result.stdout.strip())
        snapshot = self.repo / f"mm-main-{release}.snapshot.mrcb"
        self.releases[release] = header_of(snapshot.read_bytes())["content_digest"]
        self.latest = release
        return release

    def ingest(self, folder):
        result = self.tools.publish_run(
            "ingest", "--uploads", str(folder), "--key", str(self.keys / "inbox.key"),
            "--db", str(self.inbox_db))
        return result

    def query_texts(self):
        """text -> how many times the central side holds it."""
        if not self.inbox_db.exists():
            return {}
        connection = sqlite3.connect(f"file:{self.inbox_db}?mode=ro", uri=True)
        try:
            return dict(connection.execute(
                "SELECT text, count(*) FROM query GROUP BY text").fetchall())
        finally:
            connection.close()


# ---------------------------------------------------------------- nginx

class Nginx:
    """nginx on a spare loopback port through scripts/lib/nginx.sh, serving
    SRV/repository at / and taking PUTs into SRV/uploads."""

    def __init__(self, work, srv):
        self.process = subprocess.Popen(
            ["sh", str(ROOT / "reliability" / "lib" / "nginx-serve"), str(work), str(srv)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True)
        line = self.process.stdout.readline().strip()
        if not line.isdigit():
            self.stop()
            raise RuntimeError(f"nginx did not start; see {work}/error.log")
        self.port = int(line)
        self.url = f"http://127.0.0.1:{self.port}/"
        self.work = Path(work)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def count_requests(self, needle):
        try:
            return sum(1 for line in (self.work / "access.log").read_text().splitlines()
                       if needle in line)
        except FileNotFoundError:
            return 0


# ---------------------------------------------------------------- running

def scratch(name, keep=False):
    base = Path(os.environ.get("MRC_RELIABILITY_TMP", tempfile.gettempdir()))
    path = Path(tempfile.mkdtemp(prefix=f"mrc-{name}-", dir=base))
    return path


def kill_tree(process):
    try:
        os.kill(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def proc_status(pid):
    """VmRSS and VmHWM in KiB and the thread count of a process."""
    fields = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                fields[key] = int(value.split()[0])
        fields["FDs"] = len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError):
        return None
    return fields


class Clock:
    def __init__(self):
        self.start = time.monotonic()

    def seconds(self):
        return time.monotonic() - self.start
