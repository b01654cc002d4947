"""The programs and files a benchmark run works with: built tools, the
generated content, the published repositories and the centres that import
them."""
import os
import shutil
import subprocess

import tools

CHANNEL = "mm-main"


class Scale:
    """How big the content is. `small` is one tenth of `main`, for the
    comparison of the same change on replicas ten times apart in size."""

    def __init__(self, full):
        factor = 1 if full else 10
        self.name = "full" if full else "small"
        self.main = {"articles": 20000 // factor, "contacts": 5000 // factor,
                     "agencies": 10000 // factor}
        self.small = {kind: count // 10 for kind, count in self.main.items()}


class Workspace:
    def __init__(self, root, bench, repo_root):
        self.root = root
        self.bench = bench
        self.repo_root = repo_root
        self.bin = os.path.join(root, "bin")
        os.makedirs(self.bin, exist_ok=True)
        self.syncd = self.publish = None

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    # Tools ------------------------------------------------------------

    def build(self, skip):
        if not skip:
            tools.say("building mrc-syncd, mrc-syncd-idle and mrc-publish (swift build -c release)")
            tools.run(["swift", "build", "-c", "release"], cwd=self.repo_root)
        products = tools.run(["swift", "build", "-c", "release", "--show-bin-path"],
                             cwd=self.repo_root).strip()
        self.syncd = os.path.join(products, "mrc-syncd")
        self.publish = os.path.join(products, "mrc-publish")
        for program in (self.syncd, self.publish, os.path.join(products, "mrc-syncd-idle")):
            if not os.access(program, os.X_OK):
                raise RuntimeError(f"{program} is missing; build without --skip-build")
        tools.say("building bench/apply-patchset.c and bench/idle.swift")
        self.apply_patchset = os.path.join(self.bin, "apply-patchset")
        tools.run(["cc", "-O2", "-o", self.apply_patchset,
                   os.path.join(self.bench, "apply-patchset.c"), "-lsqlite3", "-lz"])
        self.idle = os.path.join(self.bin, "idle")
        tools.run(["swiftc", "-O", "-o", self.idle, os.path.join(self.bench, "idle.swift")])

    # Content and repositories -------------------------------------------

    def workload(self, *arguments):
        return ["python3", os.path.join(self.bench, "workload.py"), *map(str, arguments)]

    def publish_command(self, content, repository):
        return [self.publish, "release", "--content", content, "--repo", repository,
                "--key", self.path("keys", "publisher.key"), "--channel", CHANNEL]

    def keygen(self):
        tools.run([self.publish, "keygen", "--out", self.path("keys")])

    def delta(self, repository):
        return os.path.join(repository, f"{CHANNEL}-1-2.delta.mrcb")

    def snapshot(self, repository, release=1):
        return os.path.join(repository, f"{CHANNEL}-{release}.snapshot.mrcb")

    # Centres ------------------------------------------------------------

    def centre(self, directory, extra=""):
        """A centre folder: its configuration, the pinned key and (after an
        import) its state folder. Relative paths keep a copy usable."""
        os.makedirs(directory, exist_ok=True)
        shutil.copy(self.path("keys", "publisher.pub"), directory)
        self.configure(directory, extra)
        return directory

    @staticmethod
    def configure(directory, extra=""):
        with open(os.path.join(directory, "mrc-syncd.conf"), "w") as out:
            out.write("state_dir = state\ntrusted_keys = publisher.pub\n"
                      f"channel = {CHANNEL}\ncentre_id = bench\n{extra}")

    def syncd_command(self, centre, *arguments):
        return [self.syncd, "--config", os.path.join(centre, "mrc-syncd.conf"), *arguments]

    @staticmethod
    def replica(centre):
        return os.path.join(centre, "state", "replica.sqlite")


def parallel(commands, jobs=2, log=None):
    """Runs commands, `jobs` at a time; raises if any fails."""
    pending = list(commands)
    running = []
    failures = []
    while pending or running:
        while pending and len(running) < jobs:
            command = pending.pop(0)
            output = open(log, "a") if log else subprocess.DEVNULL
            running.append((command, subprocess.Popen(
                [str(c) for c in command], stdout=output, stderr=output)))
        command, process = running.pop(0)
        if process.wait() != 0:
            failures.append(" ".join(map(str, command)))
    if failures:
        raise RuntimeError("failed: " + "; ".join(failures) + (f" (see {log})" if log else ""))
