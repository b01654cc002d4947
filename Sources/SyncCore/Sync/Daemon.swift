import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The long-running `mrc-syncd run`: polls the repository, keeps to the
/// sync window and the data budget, backs off after failures, and stops
/// cleanly on SIGTERM or SIGINT.
///
/// Signals are blocked and taken synchronously with `sigtimedwait`, both
/// while sleeping and between steps of a transfer, so no code runs in a
/// signal handler and a stop request is noticed within a second. An idle
/// daemon sleeps until its next attempt and does not wake in between.
public final class Daemon {
    let configuration: Configuration
    let logger: Logger
    let now: @Sendable () -> Date
    private var stopRequested = false

    public init(
        configuration: Configuration, logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.logger = logger
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
        try FileSystem.createDirectory(configuration.stateDirectory)
        let lockURL = configuration.stateDirectory.appendingPathComponent("daemon.lock")
        guard let instance = try FileLock.tryLock(lockURL) else {
            throw SyncError(
                .busy,
                "Another mrc-syncd daemon is already running with the state folder "
                    + "\(configuration.stateDirectory.path). Only one may run at a time.")
        }
        defer { withExtendedLifetime(instance) {} }
        guard let settings = configuration.network else {
            throw SyncError(
                .noRepository,
                "No repo_url is set in the configuration, so there is nothing to sync. "
                    + "A centre served only by USB sticks does not need the daemon.")
        }
        logger.notice("daemon.started", [("repository", settings.repositoryURL.absoluteString)])

        var nextAttempt = now()
        while !stopRequested {
            let current = now()
            if let wait = reasonToWait(settings, at: current) {
                try schedule(wait.until, because: wait.reason)
                sleep(until: wait.until)
                continue
            }
            if current < nextAttempt {
                sleep(until: nextAttempt)
                continue
            }
            nextAttempt = attempt(settings)
        }
        logger.notice("daemon.stopped")
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
                shouldContinue: { [unowned self] in self.mayContinue(settings) })
            let outcome = try cycle.run()
            failures = 0
            next = now().addingTimeInterval(settings.pollInterval)
            reason = "the next check for new content"
            logger.info("sync.done", [("release", String(outcome.toRelease))])
        } catch {
            failures += 1
            let retryAfter = (error as? TransportError)?.retryAfter
            next = now().addingTimeInterval(
                Self.backoff(failures: failures, retryAfter: retryAfter, cap: settings.retryMax))
            reason = "a retry after a failed attempt"
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
        -> (until: Date, reason: String)?
    {
        if let window = settings.syncWindow, !window.contains(date) {
            return (window.nextOpening(after: date), "the sync window")
        }
        if let budget = settings.monthlyBudget,
           let state = try? SyncState.load(from: configuration.stateURL),
           state.network.bytesUsed(inMonthOf: date) >= budget
        {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = .current
            let month = calendar.dateInterval(of: .month, for: date)!
            return (month.end, "next month's data budget")
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
    /// window, if any, is still open.
    private func mayContinue(_ settings: NetworkSettings) -> Bool {
        takeSignals(waiting: 0)
        if stopRequested { return false }
        if let window = settings.syncWindow { return window.contains(now()) }
        return true
    }

    private func sleep(until date: Date) {
        while !stopRequested {
            let remaining = date.timeIntervalSince(now())
            if remaining <= 0 { return }
            if takeSignals(waiting: remaining) { return }
        }
    }

    /// Waits up to `seconds` for one of the handled signals and acts on it;
    /// true if one arrived.
    @discardableResult
    private func takeSignals(waiting seconds: TimeInterval) -> Bool {
        var set = Self.handledSignals()
        let whole = min(seconds, 86_400)
        var timeout = timespec(
            tv_sec: Int(whole), tv_nsec: Int((whole - whole.rounded(.down)) * 1e9))
        let signal = sigtimedwait(&set, nil, &timeout)
        switch signal {
        case SIGTERM, SIGINT:
            logger.notice("daemon.stopping", [("signal", String(signal))])
            stopRequested = true
            return true
        case SIGHUP:
            logger.info("daemon.hangup")
            return true
        default:
            return false
        }
    }
}
