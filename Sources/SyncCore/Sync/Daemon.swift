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

    /// Reads the configuration at `configurationURL`; SIGHUP reads it again.
    public init(
        configurationURL: URL, logger: Logger, notifier: SystemdNotifier = SystemdNotifier(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        self.configurationURL = configurationURL
        configuration = try Configuration.load(from: configurationURL)
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
        guard let instance = try Self.lockInstance(stateDirectory) else {
            throw SyncError(
                .busy,
                "Another mrc-syncd daemon is already running with the state folder "
                    + "\(stateDirectory.path). Only one may run at a time.")
        }
        defer { withExtendedLifetime(instance) {} }
        guard let settings = configuration.network else {
            throw SyncError(
                .noRepository,
                "No repo_url is set in the configuration, so there is nothing to sync. "
                    + "A centre served only by USB sticks does not need the daemon.")
        }
        let activity = DaemonActivity(
            stateDirectory: stateDirectory, notifier: notifier, logger: logger, now: now)
        self.activity = activity
        activity.write()
        logger.notice("daemon.started", [("repository", settings.repositoryURL.absoluteString)])
        if let problem = notifier.problem {
            logger.warning("daemon.notify_unavailable", [("reason", problem)])
        }
        notifier.ready(status: activity.current)

        nextAttempt = now()
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
            logger.notice("daemon.stopping", [("signal", String(signal))])
            stopRequested = true
            notifier.stopping(status: "Stopping")
            activity?.report("Stopping")
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
