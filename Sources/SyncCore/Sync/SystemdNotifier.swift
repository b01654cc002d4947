import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Tells systemd how the service is doing: the `sd_notify` protocol, spoken
/// directly over the datagram socket that systemd names in `NOTIFY_SOCKET`,
/// so that no libsystemd is needed.
///
/// Each message is one datagram of `KEY=value` lines: `READY=1` once the
/// service serves, `STATUS=` with a sentence for `systemctl status`,
/// `WATCHDOG=1` to show it is alive, `RELOADING=1` and `STOPPING=1`. See
/// sd_notify(3) for the protocol.
///
/// Without `NOTIFY_SOCKET` (run from a terminal, or under another service
/// manager) every call does nothing, and `watchdogInterval` is nil.
public final class SystemdNotifier {
    /// How often systemd wants `WATCHDOG=1`, from `WATCHDOG_USEC`; nil when
    /// no watchdog is set for this process.
    public let watchdogInterval: TimeInterval?
    /// Why `NOTIFY_SOCKET` was not used although it was set, for the log.
    public let problem: String?

    private let descriptor: Int32
    private var address = sockaddr_un()
    private var addressLength: socklen_t = 0
    private var lastPing: TimeInterval = -.infinity
    private var lastStatus: String?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from
    /// `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else {
            descriptor = -1
            watchdogInterval = nil
            problem = nil
            return
        }
        guard let (address, length) = Self.address(of: path) else {
            descriptor = -1
            watchdogInterval = nil
            problem = "NOTIFY_SOCKET \"\(path)\" is not a socket path this program can use"
            return
        }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        descriptor = fd
        problem = fd < 0 ? "could not create a socket: \(String(cString: strerror(errno)))" : nil
        self.address = address
        addressLength = length
        watchdogInterval = fd < 0 ? nil : Self.watchdogInterval(environment)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Whether messages go anywhere.
    public var isEnabled: Bool { descriptor >= 0 }

    /// The service has started and serves. Also names this process as the
    /// main one, which matters only when it was started through a wrapper.
    public func ready(status: String) {
        lastStatus = status
        send(["READY=1", "MAINPID=\(getpid())", "STATUS=\(Self.oneLine(status))"])
    }

    /// A sentence saying what the service is doing; repeats are not sent.
    public func status(_ text: String) {
        guard text != lastStatus else { return }
        lastStatus = text
        send(["STATUS=\(Self.oneLine(text))"])
    }

    /// The configuration is being read again; `ready(status:)` ends it.
    public func reloading() {
        send(["RELOADING=1", "MONOTONIC_USEC=\(UInt64(Self.monotonicSeconds() * 1e6))"])
    }

    /// The service is shutting down.
    public func stopping(status: String) {
        lastStatus = status
        send(["STOPPING=1", "STATUS=\(Self.oneLine(status))"])
    }

    /// Sends `WATCHDOG=1` if half the watchdog interval has passed since
    /// the last one. Cheap enough to call thousands of times a second.
    public func keepAlive() {
        guard let interval = watchdogInterval else { return }
        let now = Self.monotonicSeconds()
        guard now - lastPing >= interval / 2 else { return }
        lastPing = now
        send(["WATCHDOG=1"])
    }

    /// When the next `WATCHDOG=1` is due, in seconds from now; nil without
    /// a watchdog.
    public func secondsUntilKeepAlive() -> TimeInterval? {
        guard let interval = watchdogInterval else { return nil }
        return max(0, lastPing + interval / 2 - Self.monotonicSeconds())
    }

    /// Sends one datagram of `KEY=value` lines; false if it could not be
    /// sent (or there is nowhere to send it). Never blocks: systemd reads
    /// its socket promptly, and a lost status line is not worth waiting for.
    @discardableResult
    public func send(_ fields: [String]) -> Bool {
        guard descriptor >= 0 else { return false }
        let message = Array(fields.joined(separator: "\n").utf8)
        var target = address
        let sent = withUnsafePointer(to: &target) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                sendto(
                    descriptor, message, message.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT),
                    socketAddress, addressLength)
            }
        }
        return sent == message.count
    }

    /// The socket address for a `NOTIFY_SOCKET` value: a file system path
    /// starting with `/`, or an abstract name written with a leading `@`.
    static func address(of path: String) -> (sockaddr_un, socklen_t)? {
        var bytes = Array(path.utf8)
        guard let first = bytes.first, first == UInt8(ascii: "/") || first == UInt8(ascii: "@")
        else { return nil }
        let isAbstract = first == UInt8(ascii: "@")
        if isAbstract { bytes[0] = 0 }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        // A path needs room for its terminating zero; an abstract name does not.
        guard bytes.count + (isAbstract ? 0 : 1) <= capacity, bytes.count > 1 else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        let offset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        // An abstract name is exactly its bytes: trailing zeros would count.
        let length = offset + bytes.count + (isAbstract ? 0 : 1)
        return (address, socklen_t(length))
    }

    /// `WATCHDOG_USEC` in seconds, if it is set and meant for this process:
    /// systemd sets `WATCHDOG_PID` to the main process, so that a child that
    /// inherits the environment does not ping for it. Without
    /// `WATCHDOG_PID` the interval is taken as ours.
    static func watchdogInterval(_ environment: [String: String], pid: pid_t = getpid())
        -> TimeInterval?
    {
        guard let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0
        else { return nil }
        if let owner = environment["WATCHDOG_PID"], pid_t(owner) != pid { return nil }
        return TimeInterval(usec) / 1e6
    }

    static func oneLine(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: " ")
    }

    /// Seconds on a clock that never jumps, as systemd's watchdog counts.
    static func monotonicSeconds() -> TimeInterval {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return TimeInterval(time.tv_sec) + TimeInterval(time.tv_nsec) / 1e9
    }
}
