import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real nginx serving `deploy/nginx/mrc-repository.conf` on a spare
/// loopback port, so that tests exercise the configuration we ship rather
/// than a stand-in for it.
///
/// The shipped file serves `/srv/mrc-syncd/repository` and takes uploads into
/// `/srv/mrc-syncd/uploads`. The server replaces `/srv/mrc-syncd` with a
/// temporary folder of its own, `prefix`, in which `repository` and
/// `uploads` are symbolic links to the folders the test passed. Links rather
/// than rewritten paths keep the shipped `root` lines intact whatever the
/// test's folders are called. The same folder holds nginx's configuration,
/// logs and temporary files; it outlives `stop()`, so that the log can still
/// be read, and goes with the server.
///
///     let server = try NginxServer(repository: repo, uploads: uploads)
///     defer { server.stop() }
///     // GET server.baseURL.appendingPathComponent("mm-main/index.mrci")
final class NginxServer {
    /// Why nginx could not be started, with its own words where it had any.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// One line of the access log.
    struct Request: Equatable, Sendable {
        let method: String
        let path: String
        let status: Int
        let bodyBytesSent: Int
    }

    static let executable = "/usr/sbin/nginx"
    private static let barrierPrefix = "/mrc-log-barrier-"

    static let shippedConfiguration = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("deploy/nginx/mrc-repository.conf")

    let baseURL: URL
    let port: UInt16
    let prefix: URL
    private let process: Process
    private var stopped = false

    private var accessLogURL: URL { prefix.appendingPathComponent("access.log") }

    init(repository: URL, uploads: URL) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw Failure(
                description: "\(Self.executable) is missing: install nginx "
                    + "(apt-get install nginx) to run the tests that need it")
        }
        let shipped = try String(contentsOf: Self.shippedConfiguration, encoding: .utf8)
        for required in ["listen 8080;", "/srv/mrc-syncd"] where !shipped.contains(required) {
            throw Failure(
                description: "\(Self.shippedConfiguration.path) no longer contains "
                    + "`\(required)`, which the tests replace to run it")
        }
        let prefix = FileManager.default.temporaryDirectory
            .appendingPathComponent("mrc-nginx-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(
                at: prefix.appendingPathComponent("temp"), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(
                at: prefix.appendingPathComponent("repository"), withDestinationURL: repository)
            try FileManager.default.createSymbolicLink(
                at: prefix.appendingPathComponent("uploads"), withDestinationURL: uploads)
            (port, process) = try Self.start(shipped: shipped, prefix: prefix)
        } catch {
            try? FileManager.default.removeItem(at: prefix)
            throw error
        }
        self.prefix = prefix
        baseURL = URL(string: "http://127.0.0.1:\(port)/")!
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: prefix)
    }

    /// Stops nginx; the test's folders stay as nginx left them.
    func stop() {
        guard !stopped else { return }
        stopped = true
        Self.terminate(process)
    }

    /// Every request nginx has finished, oldest first, leaving out the
    /// server's own requests that flush the log.
    var requests: [Request] {
        flushAccessLog()
        let text = Self.log(at: accessLogURL)
        return text.split(separator: "\n").compactMap(Self.parse)
            .filter { !$0.path.hasPrefix(Self.barrierPrefix) }
    }

    /// The body bytes nginx sent for `path` (its query string ignored),
    /// summed over every request for it so far.
    func bytesSent(path: String) -> Int {
        requests.filter { $0.path == path }.reduce(0) { $0 + $1.bodyBytesSent }
    }

    /// nginx logs a request only once it has sent the last byte, which can
    /// be just after the client has read it. A request made after that is
    /// logged after it too, since one worker handles requests in turn, so
    /// once this request's line is in the log every earlier one is.
    private func flushAccessLog() {
        guard !stopped else { return }
        let marker = Self.barrierPrefix + UUID().uuidString
        _ = Loopback.exchange(port: port, request: "GET \(marker) HTTP/1.0\r\n\r\n")
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline, !Self.log(at: accessLogURL).contains(marker) {
            usleep(10_000)
        }
    }

    private static func parse(_ line: Substring) -> Request? {
        // "$status $body_bytes_sent $request", the last being
        // "GET /path?query HTTP/1.1".
        let fields = line.split(separator: " ")
        guard fields.count >= 4, let status = Int(fields[0]), let sent = Int(fields[1])
        else { return nil }
        let target = fields[3].split(separator: "?", omittingEmptySubsequences: false)[0]
        return Request(
            method: String(fields[2]), path: String(target), status: status,
            bodyBytesSent: sent)
    }

    /// The port is free when we ask but can be taken before nginx binds it,
    /// by another test starting a server at the same moment: then nginx
    /// exits at once, and another port is tried.
    private static func start(shipped: String, prefix: URL) throws -> (UInt16, Process) {
        let errorLog = prefix.appendingPathComponent("error.log")
        var attempt = 1
        while true {
            let port = try Loopback.freePort()
            let configuration = prefix.appendingPathComponent("nginx.conf")
            try Data(Self.configuration(shipped: shipped, prefix: prefix, port: port).utf8)
                .write(to: configuration)
            let process = try launch(configuration: configuration, prefix: prefix)
            switch waitUntilAccepting(process, port: port) {
            case .accepting:
                return (port, process)
            case .exited where attempt < 3 && log(at: errorLog).contains("in use"):
                attempt += 1
            case .exited, .timedOut:
                terminate(process)
                throw Failure(
                    description: "nginx did not start on port \(port):\n\(log(at: errorLog))")
            }
        }
    }

    private static func configuration(shipped: String, prefix: URL, port: UInt16) -> String {
        let root = prefix.path
        let site = shipped
            .replacingOccurrences(of: "listen 8080;", with: "listen 127.0.0.1:\(port);")
            .replacingOccurrences(of: "/srv/mrc-syncd", with: root)
        // Workers of a master started by root drop to `nobody` unless told
        // otherwise, and `nobody` may not write into the test's folders.
        let user = geteuid() == 0 ? "user root;" : ""
        // The http block mirrors the parts of Debian's stock nginx.conf that
        // change how files are served; the rest keeps every file nginx
        // writes inside `prefix`.
        return """
            daemon off;
            master_process on;
            worker_processes 1;
            \(user)
            pid \(root)/nginx.pid;
            lock_file \(root)/nginx.lock;
            error_log \(root)/error.log info;
            worker_shutdown_timeout 1s;

            events {
                worker_connections 64;
            }

            http {
                include /etc/nginx/mime.types;
                sendfile on;
                tcp_nopush on;

                log_format mrc_test '$status $body_bytes_sent $request';
                access_log \(root)/access.log mrc_test;
                log_not_found off;

                client_body_temp_path \(root)/temp/body;
                proxy_temp_path \(root)/temp/proxy;
                fastcgi_temp_path \(root)/temp/fastcgi;
                uwsgi_temp_path \(root)/temp/uwsgi;
                scgi_temp_path \(root)/temp/scgi;

            \(site)
            }

            """
    }

    private static func launch(configuration: URL, prefix: URL) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        // -e: this nginx was built to log to standard error until it has
        // read its configuration; keep even that in the log file.
        process.arguments = [
            "-p", prefix.path + "/", "-c", configuration.path,
            "-e", prefix.appendingPathComponent("error.log").path,
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    private enum Start {
        case accepting, exited, timedOut
    }

    private static func waitUntilAccepting(_ process: Process, port: UInt16) -> Start {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if !process.isRunning { return .exited }
            if Loopback.isAccepting(port: port) { return .accepting }
            usleep(10_000)
        }
        return .timedOut
    }

    /// A graceful stop lets workers finish what they are sending, which
    /// `worker_shutdown_timeout` bounds; the kill is for an nginx that
    /// ignores it, and takes its workers along, which would otherwise keep
    /// the port.
    private static func terminate(_ process: Process) {
        guard process.isRunning else { return }
        let master = process.processIdentifier
        kill(master, SIGQUIT)
        if waitForExit(process, seconds: 3) { return }
        for worker in children(of: master) {
            kill(worker, SIGKILL)
        }
        kill(master, SIGKILL)
        _ = waitForExit(process, seconds: 3)
    }

    private static func waitForExit(_ process: Process, seconds: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline {
            usleep(10_000)
        }
        return !process.isRunning
    }

    private static func children(of parent: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let end = stat.lastIndex(of: ")")
            else { return nil }
            // "pid (name) state ppid ...": the name may hold spaces.
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == parent ? pid : nil
        }
    }

    private static func log(at url: URL) -> String {
        (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }
}

/// Plain TCP on 127.0.0.1, for starting test servers and poking at them.
enum Loopback {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Close-on-exec, so that nginx and curl started by other tests do not
    /// inherit it and keep a port open after its server has stopped.
    static func tcpSocket() -> Int32? {
        let socket = Glibc.socket(
            AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        return socket >= 0 ? socket : nil
    }

    static func address(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    /// Binds a socket to `port`, or to a port the kernel picks when it is 0,
    /// and returns it listening.
    static func listen(port: UInt16 = 0) throws -> Int32 {
        guard let socket = tcpSocket() else {
            throw Failure(description: "socket(): errno \(errno)")
        }
        var reuse: Int32 = 1
        setsockopt(
            socket, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = address(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, Glibc.listen(socket, 64) == 0 else {
            let error = errno
            close(socket)
            throw Failure(description: "binding 127.0.0.1:\(port): errno \(error)")
        }
        return socket
    }

    /// The port a listening socket was given.
    static func port(of socket: Int32) -> UInt16 {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getsockname(socket, $0, &length)
            }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    /// A port that was free a moment ago, for a server that must bind it
    /// itself.
    static func freePort() throws -> UInt16 {
        let socket = try listen()
        defer { close(socket) }
        return port(of: socket)
    }

    static func connect(port: UInt16) -> Int32? {
        guard let socket = tcpSocket() else { return nil }
        var address = address(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(socket)
            return nil
        }
        return socket
    }

    static func isAccepting(port: UInt16) -> Bool {
        guard let socket = connect(port: port) else { return false }
        close(socket)
        return true
    }

    /// Sends `request` and reads until the server closes, for at most two
    /// seconds.
    static func exchange(port: UInt16, request: String) -> Data? {
        guard let socket = connect(port: port) else { return nil }
        defer { close(socket) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(
            socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(request.utf8)
        guard send(socket, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else {
            return nil
        }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response.append(contentsOf: buffer[0..<count])
        }
        return response
    }
}
