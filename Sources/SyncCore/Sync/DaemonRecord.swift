import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What the running daemon tells `status` about itself, kept in
/// `daemon.json` in the state directory and replaced atomically.
public struct DaemonRecord: Codable, Equatable, Sendable {
    public static let fileName = "daemon.json"
    /// Held with `flock` by the one daemon that serves a state directory.
    public static let lockFileName = "daemon.lock"

    public var pid: Int32
    /// ISO 8601, UTC.
    public var startedAt: String
    /// What the daemon is doing, in plain words, as systemd's STATUS= says.
    public var activity: String
    /// When `activity` last changed; ISO 8601, UTC.
    public var updatedAt: String

    enum CodingKeys: String, CodingKey {
        case pid, activity
        case startedAt = "started_at"
        case updatedAt = "updated_at"
    }

    func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Only strings and numbers: encoding cannot fail.
        return try! encoder.encode(self)
    }
}

/// Whether a daemon serves a state directory, and what it is doing, found
/// without writing anything, so that `status` stays read-only.
public struct DaemonPresence: Equatable, Sendable {
    public var running: Bool
    public var pid: Int32?
    public var since: Date?
    public var activity: String?

    public static let notRunning = DaemonPresence(
        running: false, pid: nil, since: nil, activity: nil)

    /// A daemon runs when it holds the lock on `daemon.lock`; the lock is
    /// tested with a shared lock that is dropped at once, on the file opened
    /// read-only, so no file is created or changed. Where the lock file
    /// cannot be opened (no permission), the process named in `daemon.json`
    /// is looked for instead.
    public static func probe(stateDirectory: URL) -> DaemonPresence {
        let recordURL = stateDirectory.appendingPathComponent(DaemonRecord.fileName)
        let record = (try? Data(contentsOf: recordURL))
            .flatMap { try? JSONDecoder().decode(DaemonRecord.self, from: $0) }
        let lockURL = stateDirectory.appendingPathComponent(DaemonRecord.lockFileName)
        let running = isLockHeld(lockURL) ?? record.map { processExists($0.pid) } ?? false
        guard running else { return .notRunning }
        // A record left by an earlier daemon that crashed names a dead process.
        guard let record, processExists(record.pid) else {
            return DaemonPresence(running: true, pid: nil, since: nil, activity: nil)
        }
        return DaemonPresence(
            running: true, pid: record.pid, since: Timestamp.parse(record.startedAt),
            activity: record.activity)
    }

    /// True when another process holds a lock on the file, false when none
    /// does or the file does not exist, nil when it cannot be opened.
    static func isLockHeld(_ url: URL) -> Bool? {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { return errno == ENOENT ? false : nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 { return false }
        return errno == EWOULDBLOCK ? true : nil
    }

    static func processExists(_ pid: Int32) -> Bool {
        // EPERM: it exists, but belongs to another user.
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }
}

/// Says what the daemon is doing: to systemd as STATUS=, and to `status`
/// through `daemon.json`, which is written at most once a second so that a
/// download reporting its progress does not keep the disk busy.
final class DaemonActivity {
    static let minimumWriteInterval: TimeInterval = 1

    private let url: URL
    private let notifier: SystemdNotifier
    private let logger: Logger
    private let now: @Sendable () -> Date
    private var record: DaemonRecord
    private var lastWrite: TimeInterval = -.infinity
    private var isPending = false
    private var hasFailed = false

    /// - Parameter startedAt: when the service started, if this process
    ///   carries on a service started before it executed itself again.
    init(
        stateDirectory: URL, notifier: SystemdNotifier, logger: Logger,
        now: @escaping @Sendable () -> Date, startedAt: String? = nil
    ) {
        url = stateDirectory.appendingPathComponent(DaemonRecord.fileName)
        self.notifier = notifier
        self.logger = logger
        self.now = now
        let time = Timestamp.format(now())
        record = DaemonRecord(
            pid: getpid(), startedAt: startedAt ?? time, activity: "Starting", updatedAt: time)
        isPending = true
    }

    var current: String { record.activity }
    var startedAt: String { record.startedAt }

    func report(_ activity: String) {
        notifier.status(activity)
        guard activity != record.activity else { return }
        record.activity = activity
        record.updatedAt = Timestamp.format(now())
        isPending = true
        writeIfDue()
    }

    /// Seconds until a change not yet written may be written; nil when
    /// everything is written.
    var secondsUntilWrite: TimeInterval? {
        guard isPending else { return nil }
        return max(0, lastWrite + Self.minimumWriteInterval - SystemdNotifier.monotonicSeconds())
    }

    func writeIfDue() {
        guard let wait = secondsUntilWrite, wait <= 0 else { return }
        write()
    }

    /// Writes now, whatever the time since the last write.
    func write() {
        lastWrite = SystemdNotifier.monotonicSeconds()
        isPending = false
        do {
            try FileSystem.writeAtomically(record.encoded(), to: url)
        } catch {
            // `status` then shows an older activity; the daemon works on.
            if !hasFailed {
                logger.warning("daemon.record_failed", [("error", "\(error)")])
            }
            hasFailed = true
        }
    }
}
