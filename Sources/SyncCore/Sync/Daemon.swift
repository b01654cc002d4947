import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The long-running `mrc-syncd run`: polls the repository, keeps to the
/// sync window and the data budget, backs off after failures, and stops
/// cleanly on SIGTERM or SIGINT. SIGHUP reads the configuration again.
///
/// Signals are blocked and taken synchronously with `sigtimedwait`, while
/// sleeping, between steps of a transfer and while a release is applied, so
/// no code runs in a signal handler and a stop request is noticed within a
/// second. It speaks systemd's notify protocol (see `SystemdNotifier`):
/// READY=1 once it serves, STATUS= with what it does, WATCHDOG=1 from the
/// main loop, transfers and applies alike. An idle daemon sleeps until its
/// next attempt and wakes in between only for the watchdog, if one is set.
///
/// A wait of more than a few seconds is spent in `mrc-syncd-idle`, which
/// the daemon executes in its own place and which executes it again when
/// the wait is over, or on a signal: the same process, holding the same
/// lock, but for the length of the wait without Foundation, SQLite,
/// libcurl and the TLS libraries in memory. A waiting centre PC keeps
/// a few megabytes for the service instead of some thirty.
public final class Daemon {
    let configurationURL: URL
    private(set) var configuration: Configuration
    let logger: Logger
    let notifier: SystemdNotifier
    let now: @Sendable () -> Date
    private var stopRequested = false
    private var activity: DaemonActivity?
    /// When to try next, and how the last attempt ended, so that a reload
    /// can move the next attempt to the new poll interval.
    private var nextAttempt = Date.distantPast
    private var lastAttempt: (end: Date, worked: Bool)?
    private var lastSignalCheck: TimeInterval = -.infinity
    private var instance: FileLock?
    private var canHandOver = true
    /// Set when this process carries on a daemon that waited in
    /// `mrc-syncd-idle`.
    private let resumed: Resumption?

    /// Waits at least this long are spent in `mrc-syncd-idle`; shorter
    /// ones are not worth executing two programs for.
    static let handOverAfter: TimeInterval = 10

    /// Reads the configuration at `configurationURL`; SIGHUP reads it again.
    public init(
        configurationURL: URL, logger: Logger, notifier: SystemdNotifier = SystemdNotifier(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        self.configurationURL = configurationURL
        resumed = Resumption.take()
        // Carrying on, the daemon keeps the configuration it had: a file
        // edited meanwhile takes effect on SIGHUP, as it would have.
        configuration = try resumed.map {
            try Configuration.parse($0.configuration, path: configurationURL)
        } ?? Configuration.load(from: configurationURL)
        self.logger = logger
        self.notifier = notifier
        self.now = now
    }

    /// Blocks the signals the daemon handles itself; call before any thread
    /// is started, so that every thread inherits the mask.
    public static func blockSignals() {
        signal(SIGPIPE, SIG_IGN)
        var set = handledSignals()
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    static func handledSignals() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGHUP)
        return set
    }

    /// Runs until asked to stop.
    public func run() throws {
        let stateDirectory = configuration.stateDirectory
        try FileSystem.createDirectory(stateDirectory)
        guard let instance = try resumed.flatMap({ FileLock.adopting($0.lockDescriptor) })
            ?? Self.lockInstance(stateDirectory)
        else {
            throw SyncError(
                .busy,
                "Another mrc-syncd daemon is already running with the state folder "
                    + "\(stateDirectory.path). Only one may run at a time.")
        }
        self.instance = instance
        guard let settings = configuration.network else {
            throw SyncError(
                .noRepository,
                "No repo_url is set in the configuration, so there is nothing to sync. "
                    + "A centre served only by USB sticks does not need the daemon.")
        }
        let activity = DaemonActivity(
            stateDirectory: stateDirectory, notifier: notifier, logger: logger, now: now,
            startedAt: resumed?.startedAt)
        self.activity = activity
        if let resumed {
            nextAttempt = resumed.nextAttempt
            lastAttempt = resumed.lastAttempt
            switch resumed.event {
            case .due: break
            case .reload: reload()
            case .stop: requestStop(signal: SIGTERM)
            }
        } else {
            activity.write()
            logger.notice(
                "daemon.started", [("repository", settings.repositoryURL.absoluteString)])
            if let problem = notifier.problem {
                logger.warning("daemon.notify_unavailable", [("reason", problem)])
            }
            notifier.ready(status: activity.current)
            nextAttempt = now()
        }
        while !stopRequested {
            notifier.keepAlive()
            // A reload refuses a configuration without repo_url.
            let settings = configuration.network!
            let current = now()
            if let wait = reasonToWait(settings, at: current) {
                try schedule(wait.until, because: wait.reason)
                activity.report(wait.activity)
                sleep(until: wait.until)
                continue
            }
            if current < nextAttempt {
                let when = StatusReport.humanDate(nextAttempt)
                activity.report(
                    lastAttempt?.worked == false
                        ? "Waiting to try again after a failed attempt, at \(when)"
                        : "Idle; next check at \(when)")
                sleep(until: nextAttempt)
                continue
            }
            nextAttempt = attempt(settings)
        }
        activity.report("Stopped")
        activity.write()
        logger.notice("daemon.stopped")
    }

    /// Takes the lock that makes this the only daemon of the state folder.
    /// `status` tests the lock for a moment with a shared lock of its own,
    /// so a busy lock is tried a few more times before giving up.
    private static func lockInstance(_ stateDirectory: URL) throws -> FileLock? {
        let url = stateDirectory.appendingPathComponent(DaemonRecord.lockFileName)
        for _ in 0..<5 {
            if let lock = try FileLock.tryLock(url) { return lock }
            usleep(50_000)
        }
        return nil
    }

    /// Runs one cycle and returns when to try next.
    private func attempt(_ settings: NetworkSettings) -> Date {
        var failures = (try? SyncState.load(from: configuration.stateURL))?
            .network.consecutiveFailures ?? 0
        let next: Date
        let reason: String
        do {
            let cycle = try SyncCycle(
                configuration: configuration, logger: logger, now: now,
                shouldContinue: { [unowned self] in self.mayContinue() },
                onActivity: { [unowned self] in self.activity?.report($0) },
                whileInstalling: { [unowned self] in self.mayGoOnInstalling() })
            let outcome = try cycle.run()
            failures = 0
            next = now().addingTimeInterval(settings.pollInterval)
            reason = "the next check for new content"
            lastAttempt = (now(), true)
            logger.info("sync.done", [("release", String(outcome.toRelease))])
        } catch {
            // Stopped on request: not a failure to back off from.
            // Nor is a transfer cut because the sync window closed: the
            // loop waits for the window, and the partial file is kept.
            if stopRequested || (error as? TransportError)?.kind == .cancelled { return now() }
            failures += 1
            let retryAfter = (error as? TransportError)?.retryAfter
            next = now().addingTimeInterval(
                Self.backoff(failures: failures, retryAfter: retryAfter, cap: settings.retryMax))
            reason = "a retry after a failed attempt"
            lastAttempt = (now(), false)
        }
        try? SyncState.update(at: configuration.stateURL) { state in
            state.network.consecutiveFailures = failures
        }
        try? schedule(next, because: reason)
        return next
    }

    /// Exponential backoff with jitter: 30 s, 1 min, 2 min … up to `cap`,
    /// each drawn between half and all of its step so that many centres
    /// failing together do not retry together. A server's Retry-After is
    /// honoured within the cap.
    static func backoff(failures: Int, retryAfter: TimeInterval?, cap: TimeInterval)
        -> TimeInterval
    {
        let step = min(cap, 30 * pow(2, Double(min(failures, 30) - 1)))
        let jittered = Double.random(in: (step / 2)...step)
        return min(cap, max(jittered, retryAfter ?? 0))
    }

    private func reasonToWait(_ settings: NetworkSettings, at date: Date)
        -> (until: Date, reason: String, activity: String)?
    {
        if let window = settings.syncWindow, !window.contains(date) {
            let opening = window.nextOpening(after: date)
            return (
                opening, "the sync window",
                "Waiting for the sync window, which opens at \(StatusReport.humanDate(opening))"
            )
        }
        if let budget = settings.monthlyBudget,
           let state = try? SyncState.load(from: configuration.stateURL),
           state.network.bytesUsed(inMonthOf: date) >= budget
        {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = .current
            let month = calendar.dateInterval(of: .month, for: date)!
            return (
                month.end, "next month's data budget",
                "Waiting for next month's data budget, from \(StatusReport.humanDate(month.end))"
            )
        }
        return nil
    }

    private func schedule(_ date: Date, because reason: String) throws {
        try SyncState.update(at: configuration.stateURL) { state in
            state.network.nextAttemptAt = Timestamp.format(date)
            state.network.waitingFor = reason
        }
    }

    /// Whether a transfer may go on: no stop was asked for, and the sync
    /// window, if any, is still open. Called at least once a second while
    /// a transfer runs, so it also keeps the watchdog fed.
    private func mayContinue() -> Bool {
        takeSignals(waiting: 0)
        notifier.keepAlive()
        activity?.writeIfDue()
        if stopRequested { return false }
        if let window = configuration.network?.syncWindow { return window.contains(now()) }
        return true
    }

    /// Whether an apply may go on; called every few thousand SQLite steps,
    /// so signals are looked at only ten times a second. A closing sync
    /// window does not stop it: the bytes are already here.
    private func mayGoOnInstalling() -> Bool {
        notifier.keepAlive()
        let clock = SystemdNotifier.monotonicSeconds()
        if clock - lastSignalCheck >= 0.1 {
            lastSignalCheck = clock
            takeSignals(waiting: 0)
            activity?.writeIfDue()
        }
        return !stopRequested
    }

    /// Sleeps until `date`, a signal, or a reload; wakes in between only
    /// to feed the watchdog or to write an activity held back by the
    /// once-a-second limit.
    private func sleep(until date: Date) {
        if canHandOver, date.timeIntervalSince(now()) >= Self.handOverAfter {
            handOver(until: date)
        }
        while !stopRequested {
            let remaining = date.timeIntervalSince(now())
            if remaining <= 0 { return }
            let wake = [remaining, notifier.secondsUntilKeepAlive(), activity?.secondsUntilWrite]
                .compactMap { $0 }.min()!
            if takeSignals(waiting: wake) { return }
            notifier.keepAlive()
            activity?.writeIfDue()
        }
    }

    /// Waits up to `seconds` for one of the handled signals and acts on it;
    /// true if one arrived.
    @discardableResult
    private func takeSignals(waiting seconds: TimeInterval) -> Bool {
        var set = Self.handledSignals()
        let whole = max(0, min(seconds, 86_400))
        var timeout = timespec(
            tv_sec: Int(whole), tv_nsec: Int((whole - whole.rounded(.down)) * 1e9))
        let signal = sigtimedwait(&set, nil, &timeout)
        switch signal {
        case SIGTERM, SIGINT:
            requestStop(signal: signal)
            return true
        case SIGHUP:
            reload()
            return true
        default:
            return false
        }
    }
}

extension Daemon {
    private func requestStop(signal: Int32) {
        logger.notice("daemon.stopping", [("signal", String(signal))])
        stopRequested = true
        notifier.stopping(status: "Stopping")
        activity?.report("Stopping")
    }

    /// Executes `mrc-syncd-idle` in this process's place, to wait until
    /// `date` and then execute this program again. Returns only if that
    /// could not be done, after which the daemon waits in memory as before.
    private func handOver(until date: Date) {
        guard let instance, let activity, let program = Self.ownExecutable(),
              let idle = Self.idleProgram(beside: program)
        else {
            canHandOver = false
            return
        }
        activity.write()
        let resumption = Resumption(
            event: .due, lockDescriptor: instance.fileDescriptor,
            startedAt: activity.startedAt, nextAttempt: nextAttempt, lastAttempt: lastAttempt,
            configuration: configuration.source)
        setenv(Resumption.stateVariable, resumption.environmentValue, 1)
        setenv(Resumption.configurationVariable, configuration.source, 1)
        instance.setInheritable(true)
        let until = String(Int64((date.timeIntervalSince1970 * 1000).rounded(.up)))
        var argv = ([idle, until, program] + CommandLine.arguments.dropFirst()).map { strdup($0) }
        argv.append(nil)
        execv(idle, &argv)

        let reason = String(cString: strerror(errno))
        for pointer in argv { free(pointer) }
        instance.setInheritable(false)
        unsetenv(Resumption.stateVariable)
        unsetenv(Resumption.configurationVariable)
        canHandOver = false
        logger.warning("daemon.idle_unavailable", [("program", idle), ("error", reason)])
    }

    /// This program's file, as the kernel knows it; a file replaced by an
    /// upgrade is named by its path, so the new one runs next.
    static func ownExecutable() -> String? {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX))
        let count = readlink("/proc/self/exe", &buffer, buffer.count)
        guard count > 0 else { return nil }
        let path = String(decoding: buffer[..<count], as: UTF8.self)
        let deleted = " (deleted)"
        return path.hasSuffix(deleted) ? String(path.dropLast(deleted.count)) : path
    }

    /// `mrc-syncd-idle` beside this program (a build folder) or in the
    /// package's libexec folder.
    static func idleProgram(beside program: String) -> String? {
        let folder = URL(fileURLWithPath: program).deletingLastPathComponent()
        let candidates = [
            folder.appendingPathComponent("mrc-syncd-idle"),
            folder.deletingLastPathComponent()
                .appendingPathComponent("libexec/mrc-syncd/mrc-syncd-idle"),
        ]
        return candidates.map(\.path).first { access($0, X_OK) == 0 }
    }

    /// Reads the configuration file again and uses it from the next wait
    /// on. A file that cannot be used is logged and the old settings kept;
    /// so is a change of state_dir, which needs a restart, and a removed
    /// repo_url, which would leave the daemon nothing to do.
    func reload() {
        notifier.reloading()
        do {
            let fresh = try Configuration.load(from: configurationURL)
            guard fresh.stateDirectory.standardizedFileURL.path
                == configuration.stateDirectory.standardizedFileURL.path
            else {
                throw SyncError(
                    .configuration,
                    "\(configurationURL.path): state_dir changed. Restart the service "
                        + "(systemctl restart mrc-syncd) to use another state folder.")
            }
            guard let settings = fresh.network else {
                throw SyncError(
                    .configuration,
                    "\(configurationURL.path): repo_url is no longer set. Stop the service "
                        + "(systemctl disable --now mrc-syncd) if this centre syncs by USB only.")
            }
            _ = try fresh.trustedKeys()
            configuration = fresh
            logger.notice("daemon.reloaded", [
                ("config", configurationURL.path),
                ("poll_interval", String(Int(settings.pollInterval))),
            ])
            reschedule(settings)
        } catch {
            let message = (error as? SyncError)?.message ?? "\(error)"
            logger.error("daemon.reload_failed", [("error", message)])
        }
        notifier.ready(status: activity?.current ?? "Running")
    }

    /// Moves the next attempt to where the new settings put it: the new
    /// poll interval after a success, within the new retry cap after a
    /// failure.
    private func reschedule(_ settings: NetworkSettings) {
        guard let lastAttempt, nextAttempt > now() else { return }
        nextAttempt = lastAttempt.worked
            ? lastAttempt.end.addingTimeInterval(settings.pollInterval)
            : min(nextAttempt, lastAttempt.end.addingTimeInterval(settings.retryMax))
        try? schedule(
            nextAttempt,
            because: lastAttempt.worked
                ? "the next check for new content" : "a retry after a failed attempt")
    }
}

/// What a daemon that executed `mrc-syncd-idle` needs to carry on when
/// that executes it again: passed in the environment, and taken out of it.
struct Resumption {
    enum Event: String {
        /// The wait is over.
        case due
        /// SIGHUP arrived while waiting.
        case reload
        /// SIGTERM or SIGINT arrived while waiting.
        case stop
    }

    static let stateVariable = "MRC_SYNCD_RESUME"
    static let eventVariable = "MRC_SYNCD_RESUME_EVENT"
    static let configurationVariable = "MRC_SYNCD_RESUME_CONFIG"

    var event: Event
    var lockDescriptor: Int32
    var startedAt: String
    var nextAttempt: Date
    var lastAttempt: (end: Date, worked: Bool)?
    /// The text of the configuration in effect.
    var configuration: String

    var environmentValue: String {
        var fields = [
            "lock=\(lockDescriptor)", "started=\(startedAt)",
            "next=\(Self.milliseconds(nextAttempt))",
        ]
        if let lastAttempt {
            fields += ["last=\(Self.milliseconds(lastAttempt.end))", "worked=\(lastAttempt.worked)"]
        }
        return fields.joined(separator: " ")
    }

    /// The resumption this process was started with, if any; the
    /// variables are removed, so that nothing this process starts sees
    /// them.
    static func take() -> Resumption? {
        defer {
            unsetenv(stateVariable)
            unsetenv(eventVariable)
            unsetenv(configurationVariable)
        }
        guard let state = getenv(stateVariable).map({ String(cString: $0) }),
              let configuration = getenv(configurationVariable).map({ String(cString: $0) }),
              let event = getenv(eventVariable).flatMap({ Event(rawValue: String(cString: $0)) })
        else { return nil }
        var fields = [String: String]()
        for field in state.split(separator: " ") {
            let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        guard let lock = fields["lock"].flatMap({ Int32($0) }), let started = fields["started"],
              let next = fields["next"].flatMap({ Int64($0) })
        else { return nil }
        var last: (Date, Bool)?
        if let end = fields["last"].flatMap({ Int64($0) }), let worked = fields["worked"] {
            last = (date(end), worked == "true")
        }
        return Resumption(
            event: event, lockDescriptor: lock, startedAt: started, nextAttempt: date(next),
            lastAttempt: last, configuration: configuration)
    }

    private static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    private static func date(_ milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
