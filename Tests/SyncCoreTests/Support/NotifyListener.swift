import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Plays systemd's side of the notify protocol: a datagram socket that a
/// daemon started with `NOTIFY_SOCKET` set to `address` reports to. Every
/// datagram is kept, in order, with the time it arrived.
///
///     let listener = try NotifyListener(in: scratch.url)
///     // start the daemon with NOTIFY_SOCKET=listener.address, then:
///     #expect(listener.waitFor(seconds: 10) { $0.contains { $0.has("READY=1") } })
final class NotifyListener: @unchecked Sendable {
    struct Message: Sendable {
        let arrived: Date
        let fields: [String]

        func has(_ field: String) -> Bool { fields.contains(field) }

        /// The value of `KEY=` if the message carries it.
        func value(_ key: String) -> String? {
            fields.first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
        }
    }

    /// What NOTIFY_SOCKET is set to: a path, or `@name` for an abstract one.
    let address: String
    private let descriptor: Int32
    private let lock = NSLock()
    private var received: [Message] = []
    private var stopping = false
    private let done = DispatchSemaphore(value: 0)

    /// Binds a socket file in `directory`, or an abstract socket when
    /// `directory` is nil.
    init(in directory: URL?) throws {
        address = directory?.appendingPathComponent("notify.sock").path
            ?? "@mrc-test-notify-\(UUID().uuidString)"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw Self.failure("socket") }
        var name = sockaddr_un()
        name.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(address.utf8)
        if bytes[0] == UInt8(ascii: "@") { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &name.sun_path) { $0.copyBytes(from: bytes) }
        let length = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count
            + (bytes[0] == 0 ? 0 : 1)
        let bound = withUnsafePointer(to: &name) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(length))
            }
        }
        guard bound == 0 else {
            close(descriptor)
            throw Self.failure("bind")
        }
        // Wake up now and then to notice `stop()`.
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(
            descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in receive() }
        thread.start()
    }

    deinit {
        stop()
    }

    var messages: [Message] {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    /// The STATUS= texts in the order they came.
    var statuses: [String] {
        messages.compactMap { $0.value("STATUS") }
    }

    /// Waits until `condition` holds for the messages so far.
    func waitFor(seconds: TimeInterval, _ condition: ([Message]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition(messages) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return condition(messages)
    }

    func stop() {
        lock.lock()
        let wasStopping = stopping
        stopping = true
        lock.unlock()
        guard !wasStopping else { return }
        done.wait()
        close(descriptor)
        if !address.hasPrefix("@") { unlink(address) }
    }

    private func receive() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            lock.lock()
            let stop = stopping
            lock.unlock()
            if stop { break }
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { continue }
            let text = String(decoding: buffer[..<count], as: UTF8.self)
            let message = Message(
                arrived: Date(),
                fields: text.split(separator: "\n").map(String.init))
            lock.lock()
            received.append(message)
            lock.unlock()
        }
        done.signal()
    }

    private static func failure(_ call: String) -> NSError {
        NSError(
            domain: NSPOSIXErrorDomain, code: Int(errno),
            userInfo: [NSLocalizedDescriptionKey: "\(call): \(String(cString: strerror(errno)))"])
    }
}
