import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The local interface for kiosks and chat front ends on the same PC: a
/// Unix stream socket that takes one JSON object per line and answers one
/// JSON line per request, after the query is on disk. docs/queries.md
/// describes the protocol.
///
/// A Unix socket, not TCP, so that nothing off the PC can reach it and file
/// permissions decide who may write. Each connection is read on a thread of
/// its own, up to `maximumClients` at once, so a silent or slow client holds
/// up nobody else; writes to the log take turns under a lock.
public final class QueryServer: @unchecked Sendable {
    /// The longest request line accepted.
    static let maximumLine = 64 * 1024
    static let clientTimeout: TimeInterval = 5
    static let maximumClients = 32

    let log: QueryLog
    let logger: Logger
    private let listener: Int32
    private let logLock = NSLock()
    private let slots = DispatchSemaphore(value: maximumClients)
    private let clients = DispatchGroup()

    /// Listens on `socket` (replacing a stale socket file), or on the
    /// socket systemd passed in (`LISTEN_FDS`) when there is one.
    public init(socket: URL, log: QueryLog, logger: Logger = .silent) throws {
        self.log = log
        self.logger = logger
        if let inherited = Self.socketFromSystemd() {
            listener = inherited
            return
        }
        listener = try Self.listen(at: socket)
    }

    deinit {
        close(listener)
    }

    /// Serves until `shouldStop` says so; it is asked at least once a second.
    public func run(shouldStop: () -> Bool) {
        while !shouldStop() {
            var descriptor = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 1_000) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            // Beyond the limit, a new client waits for a free slot rather
            // than a thread being started for every connection.
            slots.wait()
            clients.enter()
            Thread.detachNewThread { [self] in
                serve(client)
                close(client)
                slots.signal()
                clients.leave()
            }
        }
        _ = clients.wait(timeout: .now() + Self.clientTimeout + 1)
    }

    private func serve(_ client: Int32) {
        var timeout = timeval(tv_sec: Int(Self.clientTimeout), tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(client, &chunk, chunk.count, 0)
            if count <= 0 { return }
            buffer += chunk[0..<count]
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                reply(to: line, on: client)
            }
            if buffer.count > Self.maximumLine {
                send(["ok": false, "error": "The request line is too long."], on: client)
                return
            }
        }
    }

    /// Records one request line and answers it.
    func reply(to line: [UInt8], on client: Int32) {
        send(answer(to: line), on: client)
    }

    func answer(to line: [UInt8]) -> [String: Any] {
        guard String(validating: line, as: UTF8.self) != nil else {
            return ["ok": false, "error": "The request is not valid UTF-8 text."]
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
              let text = object["text"] as? String
        else {
            return ["ok": false, "error": "Send one JSON object per line with at least \"text\"."]
        }
        do {
            let channel = try QueryLog.Channel(
                rawValue: (object["channel"] as? String) ?? "kiosk")
                ?? { throw SyncError(.usage, "channel must be desk, kiosk or phone.") }()
            logLock.lock()
            defer { logLock.unlock() }
            let recorded = try log.record(
                text, lang: object["lang"] as? String, topic: object["topic"] as? String,
                channel: channel)
            return [
                "ok": true, "id": recorded.id, "redactions": recorded.redactions,
                "converted_from": recorded.convertedFrom.map { $0 as Any } ?? NSNull(),
            ]
        } catch let error as SyncError {
            return ["ok": false, "error": error.message]
        } catch {
            return ["ok": false, "error": "\(error)"]
        }
    }

    private func send(_ object: [String: Any], on client: Int32) {
        guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        else { return }
        data.append(UInt8(ascii: "\n"))
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = Glibc.send(
                    client, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent <= 0 { return }
                offset += sent
            }
        }
    }

    private static func listen(at url: URL) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw FileSystem.storageError("create a socket for", url) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(url.path.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw SyncError(.configuration, "The socket path \(url.path) is too long.")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path)
        }
        // A socket file left by a process that died would make bind fail.
        unlink(url.path)
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + 1)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, Glibc.listen(fd, 16) == 0 else {
            let error = FileSystem.storageError("listen on", url)
            close(fd)
            throw error
        }
        // Kiosk and chat programs run under other users of the same group.
        chmod(url.path, 0o660)
        return fd
    }

    /// The listening socket systemd hands over with socket activation.
    private static func socketFromSystemd() -> Int32? {
        let environment = ProcessInfo.processInfo.environment
        guard environment["LISTEN_PID"].flatMap(Int32.init) == getpid(),
              environment["LISTEN_FDS"] == "1"
        else { return nil }
        return 3
    }
}
