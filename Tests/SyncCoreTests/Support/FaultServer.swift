import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 server on 127.0.0.1 that serves the files of a folder and
/// misbehaves on purpose, the way real servers, proxies and failing links
/// do, so that the downloader can be tested against each fault on its own.
///
/// Each connection gets its own thread and exactly one response, which says
/// `Connection: close`: nothing here needs keep-alive, and one request per
/// connection keeps the recorded `requests` easy to reason about. `PUT`
/// stores the body under `root` and answers 201, unless the path's
/// behaviour is `.status`.
///
///     let server = try FaultServer(root: folder)
///     server.setBehaviour(.cutAfter(bytes: 1000), forPath: "/a.mrcb")
///     // fetch server.baseURL.appendingPathComponent("a.mrcb"), then:
///     #expect(server.bodyBytesSent(path: "/a.mrcb") == 1000)
final class FaultServer: @unchecked Sendable {
    /// How the server answers a request for a file.
    ///
    /// Only `.normal` honours `If-None-Match` and `If-Modified-Since`; the
    /// other cases do what they say whatever the request's conditions.
    /// `.cutAfter`, `.stall` and `.wrongContentLength` start the answer
    /// `.normal` would give, range included, and then break it.
    enum Behaviour: Sendable {
        /// 200, or 206 with a correct `Content-Range` for `Range: bytes=N-`
        /// (and `N-M`, `-K`); 416 with `Content-Range: bytes */SIZE` and an
        /// HTML body when N is past the end; 304 when `If-None-Match` names
        /// the ETag, which is `"<size>-<mtime in seconds>"`.
        case normal
        /// Like `.normal`, but with no `ETag`: freshness is judged by
        /// `If-Modified-Since` alone, 304 when the file is not newer than
        /// the date, as simple servers do.
        case withoutETag
        /// Always 200 with the whole file, as servers without ranges do.
        case ignoreRange
        /// 206 starting at N rounded down to a multiple of `alignment`, as
        /// some caches answer from their fixed-size blocks.
        case rangeStartsEarlier(alignment: Int)
        /// 206 starting `by` bytes after N.
        case rangeStartsLater(by: Int)
        /// 206 with the bytes from N but no `Content-Range` header.
        case partialWithoutContentRange
        /// Any request with a `Range` header gets 416 with an HTML body and
        /// no `Content-Range`.
        case rangeNotSatisfiableHTML
        /// The headers promise the whole body; `bytes` of it are sent, then
        /// the connection is closed.
        case cutAfter(bytes: Int)
        /// Sends the headers and `afterBytes` of the body, then one byte
        /// every `trickleEvery` seconds, or nothing when it is nil, keeping
        /// the connection open until the client leaves or the server stops
        /// (or a trickle reaches the end of the body, which ends it).
        case stall(afterBytes: Int, trickleEvery: TimeInterval?)
        /// Answers that status, with `Retry-After` when given and a short
        /// text body, to every method.
        case status(Int, retryAfter: Int?)
        /// `Content-Length` says `extra` bytes more than are sent.
        case wrongContentLength(extra: Int)
        /// A PUT is stored, then the connection is closed without an
        /// answer: the acknowledgement is lost on the way back.
        case storeThenDrop
    }

    /// A request as the server saw it and what it sent back.
    struct Request: Equatable, Sendable {
        let method: String
        let path: String
        let range: String?
        var status: Int
        /// Body bytes handed to the kernel, which may be more than the
        /// client read when it left early.
        var bodyBytesSent: Int
    }

    let root: URL
    let baseURL: URL
    /// The threads hold the state rather than the server, so that the
    /// server's `deinit` runs, and stops them, when a test lets go of it.
    private let state: State

    init(root: URL) throws {
        // A client that hangs up while the server writes must cost an error
        // code, not the test process.
        signal(SIGPIPE, SIG_IGN)
        let listener = try Loopback.listen()
        self.root = root
        baseURL = URL(string: "http://127.0.0.1:\(Loopback.port(of: listener))/")!
        state = State(root: root, listener: listener)
        state.startAccepting()
    }

    deinit {
        stop()
    }

    /// Sets how requests for `path` (such as "/a.mrcb") are answered, or
    /// for every path without a setting of its own when `path` is nil.
    func setBehaviour(_ behaviour: Behaviour, forPath path: String?) {
        state.locked {
            if let path { state.behaviours[path] = behaviour } else { state.fallback = behaviour }
        }
    }

    var requests: [Request] {
        state.locked { state.requests }
    }

    func bodyBytesSent(path: String) -> Int {
        requests.filter { $0.path == path }.reduce(0) { $0 + $1.bodyBytesSent }
    }

    /// Closes the listener and every connection, even one in the middle of
    /// a stall, and waits for their threads to end.
    func stop() {
        state.stop()
    }
}

extension FaultServer {
    private struct ParsedRequest {
        let method: String
        let path: String
        let headers: [String: String]
        /// What arrived after the headers: the start of a PUT's body.
        let rest: [UInt8]
    }

    /// What a file request is answered with before any fault is applied.
    private struct Reply {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
    }

    private final class State: @unchecked Sendable {
        let root: URL
        let listener: Int32
        let lock = NSLock()
        let threads = DispatchGroup()
        var behaviours: [String: Behaviour] = [:]
        var fallback = Behaviour.normal
        var requests: [Request] = []
        var clients: Set<Int32> = []
        var stopping = false

        init(root: URL, listener: Int32) {
            self.root = root
            self.listener = listener
        }

        func locked<T>(_ body: () -> T) -> T {
            lock.lock()
            defer { lock.unlock() }
            return body()
        }

        var isStopping: Bool { locked { stopping } }

        func startAccepting() {
            threads.enter()
            Thread { [self] in
                acceptLoop()
                threads.leave()
            }.start()
        }

        func stop() {
            let wasStopping = locked {
                let was = stopping
                stopping = true
                // Shutting a socket down wakes a thread blocked on it; the
                // thread closes it, so its number cannot be reused meanwhile.
                for client in clients { shutdown(client, Int32(SHUT_RDWR)) }
                return was
            }
            guard !wasStopping else { return }
            _ = threads.wait(timeout: .now() + 2)
            close(listener)
        }

        private func acceptLoop() {
            while !isStopping {
                var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 50) > 0 else { continue }
                let client = accept(listener, nil, nil)
                guard client >= 0 else { continue }
                // Not inherited by nginx or curl that other tests start.
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                let accepted = locked {
                    if stopping { return false }
                    clients.insert(client)
                    return true
                }
                guard accepted else {
                    close(client)
                    continue
                }
                threads.enter()
                Thread { [self] in
                    serve(client)
                    locked { _ = clients.remove(client) }
                    close(client)
                    threads.leave()
                }.start()
            }
        }

        private func serve(_ client: Int32) {
            guard let request = readRequest(client) else { return }
            let behaviour = locked { behaviours[request.path] ?? fallback }
            let index = locked {
                requests.append(
                    Request(
                        method: request.method, path: request.path,
                        range: request.headers["range"], status: 0, bodyBytesSent: 0))
                return requests.count - 1
            }
            var reply: Reply
            if case .status(let status, let retryAfter) = behaviour {
                reply = text(status)
                if let retryAfter { reply.headers.append(("Retry-After", "\(retryAfter)")) }
            } else if request.method == "PUT" {
                reply = store(request, from: client)
                if case .storeThenDrop = behaviour {
                    locked { requests[index].status = 0 }
                    return
                }
            } else if request.method == "GET" || request.method == "HEAD" {
                reply = answer(request, behaviour: behaviour)
            } else {
                reply = text(405)
                reply.headers.append(("Allow", "GET, HEAD, PUT"))
            }
            send(
                reply, to: client, index: index, behaviour: behaviour,
                withBody: request.method != "HEAD")
        }

        private func readRequest(_ client: Int32) -> ParsedRequest? {
            var received: [UInt8] = []
            let separator: [UInt8] = Array("\r\n\r\n".utf8)
            var end: Int?
            while end == nil, received.count < 65536 {
                guard let chunk = receive(client) else { return nil }
                received += chunk
                end = received.firstRange(of: separator)?.lowerBound
            }
            guard let end else { return nil }
            let head = String(decoding: received[..<end], as: UTF8.self)
            var lines = head.components(separatedBy: "\r\n")
            let requestLine = lines.removeFirst().split(separator: " ")
            guard requestLine.count == 3 else { return nil }
            var headers: [String: String] = [:]
            for line in lines {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] =
                    line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let target = requestLine[1].split(separator: "?", omittingEmptySubsequences: false)[0]
            return ParsedRequest(
                method: String(requestLine[0]),
                path: String(target).removingPercentEncoding ?? String(target),
                headers: headers, rest: Array(received[(end + separator.count)...]))
        }

        /// Waits for bytes in short slices so that `stop()` is noticed;
        /// nil once the client has gone, the server is stopping or the
        /// deadline has passed.
        private func receive(_ client: Int32, before deadline: Date = .distantFuture)
            -> [UInt8]?
        {
            var buffer = [UInt8](repeating: 0, count: 16384)
            while !isStopping, Date() < deadline {
                var poller = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 50) > 0 else { continue }
                let count = recv(client, &buffer, buffer.count, 0)
                if count < 0, errno == EINTR { continue }
                return count > 0 ? Array(buffer[..<count]) : nil
            }
            return nil
        }

        private func file(at path: String) -> URL? {
            let parts = path.split(separator: "/")
            guard !parts.contains(where: { $0 == ".." || $0 == "." }) else { return nil }
            return parts.reduce(root) { $0.appendingPathComponent(String($1)) }
        }

        private func store(_ request: ParsedRequest, from client: Int32) -> Reply {
            guard let url = file(at: request.path), !request.path.hasSuffix("/") else {
                return text(403)
            }
            guard let length = request.headers["content-length"].flatMap(Int.init) else {
                return text(411)
            }
            guard length <= 64 << 20 else { return text(413) }
            if request.headers["expect"]?.lowercased() == "100-continue" {
                _ = sendAll(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8), to: client)
            }
            var body = request.rest
            while body.count < length {
                guard let chunk = receive(client) else { return text(400) }
                body += chunk
            }
            do {
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(body.prefix(length)).write(to: url, options: .atomic)
            } catch {
                return text(500)
            }
            return text(201)
        }

        private func answer(_ request: ParsedRequest, behaviour: Behaviour) -> Reply {
            var info = stat()
            guard let url = file(at: request.path), stat(url.path, &info) == 0,
                (info.st_mode & S_IFMT) == S_IFREG,
                let contents = FileManager.default.contents(atPath: url.path)
            else { return text(404) }
            let body = [UInt8](contents)
            let modified = Int(info.st_mtim.tv_sec)
            let etag = "\"\(body.count)-\(modified)\""
            var reply = Reply(
                status: 200,
                headers: [
                    ("Content-Type", "application/octet-stream"), ("ETag", etag),
                    ("Last-Modified", httpDate(modified)),
                ],
                body: body)
            let range = request.headers["range"]
            let wanted = range.flatMap { byteRange($0, size: body.count) }

            switch behaviour {
            case .withoutETag:
                reply.headers.removeAll { $0.0 == "ETag" }
                let since = request.headers["if-modified-since"].flatMap(parseHTTPDate)
                if let since, modified <= since {
                    return Reply(status: 304, headers: [], body: [])
                }
                reply.headers.append(("Accept-Ranges", "bytes"))
                if let wanted { partial(&reply, wanted, whole: body) }
            case .normal, .storeThenDrop:
                if isFresh(request.headers, etag: etag, modified: modified) {
                    return Reply(status: 304, headers: Array(reply.headers.dropFirst()), body: [])
                }
                fallthrough
            case .cutAfter, .stall, .wrongContentLength:
                reply.headers.append(("Accept-Ranges", "bytes"))
                if let wanted { partial(&reply, wanted, whole: body) }
            case .ignoreRange:
                break
            case .rangeStartsEarlier(let alignment):
                reply.headers.append(("Accept-Ranges", "bytes"))
                if let wanted, wanted.lowerBound < body.count {
                    let start = wanted.lowerBound - wanted.lowerBound % max(alignment, 1)
                    partial(&reply, start..<wanted.upperBound, whole: body)
                } else if let wanted {
                    partial(&reply, wanted, whole: body)
                }
            case .rangeStartsLater(let by):
                reply.headers.append(("Accept-Ranges", "bytes"))
                if let wanted {
                    let start = wanted.lowerBound + by
                    partial(&reply, start..<max(start, wanted.upperBound), whole: body)
                }
            case .partialWithoutContentRange:
                if let wanted {
                    partial(&reply, wanted, whole: body)
                    reply.headers.removeAll { $0.0 == "Content-Range" }
                }
            case .rangeNotSatisfiableHTML:
                if range != nil {
                    reply = Reply(
                        status: 416, headers: [("Content-Type", "text/html")],
                        body: Array("<html><body>Not satisfiable</body></html>\n".utf8))
                }
            case .status:
                preconditionFailure("statuses are answered before files are looked up")
            }
            return reply
        }

        /// Turns a whole-file reply into a 206 for `range`, or into a 416
        /// when the range starts at or past the end of the file.
        private func partial(_ reply: inout Reply, _ range: Range<Int>, whole body: [UInt8]) {
            guard range.lowerBound < body.count else {
                reply = Reply(
                    status: 416,
                    headers: [
                        ("Content-Type", "text/html"), ("Content-Range", "bytes */\(body.count)"),
                    ],
                    body: Array("<html><body>416 Range Not Satisfiable</body></html>\n".utf8))
                return
            }
            let upper = min(range.upperBound, body.count)
            reply.status = 206
            reply.headers.append(
                ("Content-Range", "bytes \(range.lowerBound)-\(upper - 1)/\(body.count)"))
            reply.body = Array(body[range.lowerBound..<upper])
        }

        /// `bytes=N-`, `bytes=N-M` and `bytes=-K`; anything else is ignored,
        /// as a server may. A start past the end is kept, to be refused.
        private func byteRange(_ header: String, size: Int) -> Range<Int>? {
            guard header.hasPrefix("bytes="), !header.contains(",") else { return nil }
            let bounds = header.dropFirst(6)
                .split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count == 2 else { return nil }
            switch (Int(bounds[0]), Int(bounds[1])) {
            case (let first?, nil) where bounds[1].isEmpty:
                return first..<max(first, size)
            case (let first?, let last?) where last >= first:
                return first..<max(first, min(last + 1, size))
            case (nil, let suffix?) where bounds[0].isEmpty && suffix > 0:
                return max(0, size - suffix)..<size
            default:
                return nil
            }
        }

        private func isFresh(_ headers: [String: String], etag: String, modified: Int) -> Bool {
            if let tags = headers["if-none-match"] {
                return tags.split(separator: ",").contains {
                    let tag = $0.trimmingCharacters(in: .whitespaces)
                    return tag == "*" || tag == etag || tag == "W/" + etag
                }
            }
            if let since = headers["if-modified-since"].flatMap(parseHTTPDate) {
                return modified <= since
            }
            return false
        }

        private func text(_ status: Int) -> Reply {
            Reply(
                status: status, headers: [("Content-Type", "text/plain")],
                body: Array("\(status) \(reason(status))\n".utf8))
        }

        private func send(
            _ reply: Reply, to client: Int32, index: Int, behaviour: Behaviour, withBody: Bool
        ) {
            var length = reply.body.count
            var body = withBody ? reply.body[...] : []
            var stall: TimeInterval?? = nil
            switch behaviour {
            case .cutAfter(let bytes): body = body.prefix(bytes)
            case .wrongContentLength(let extra): length += extra
            case .stall(let after, let trickle):
                body = body.prefix(after)
                stall = .some(trickle)
            default: break
            }
            var head = "HTTP/1.1 \(reply.status) \(reason(reply.status))\r\n"
            for (name, value) in reply.headers { head += "\(name): \(value)\r\n" }
            if reply.status != 304 { head += "Content-Length: \(length)\r\n" }
            head += "Connection: close\r\n\r\n"
            locked { requests[index].status = reply.status }

            guard sendAll(Array(head.utf8), to: client),
                sendAll(Array(body), to: client, counting: index)
            else { return }
            if case .some(let trickle) = stall, withBody {
                hold(client, rest: Array(reply.body.dropFirst(body.count)), every: trickle, index)
            }
            // Finish sending first, then wait for the client to hang up, so
            // that unread request bytes cannot turn the close into a reset
            // that destroys the response.
            shutdown(client, Int32(SHUT_WR))
            let deadline = Date().addingTimeInterval(1)
            while receive(client, before: deadline) != nil {}
        }

        /// Keeps a stalled response open, trickling `rest` if asked to,
        /// until the client leaves or the server stops.
        private func hold(_ client: Int32, rest: [UInt8], every: TimeInterval?, _ index: Int) {
            var next = 0
            var lastSent = Date()
            while !isStopping, next < rest.count || every == nil {
                var poller = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
                if poll(&poller, 1, 20) > 0 {
                    var byte: UInt8 = 0
                    let count = recv(client, &byte, 1, Int32(MSG_DONTWAIT))
                    if count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR) {
                        return
                    }
                }
                if let every, Date().timeIntervalSince(lastSent) >= every {
                    guard sendAll([rest[next]], to: client, counting: index) else { return }
                    next += 1
                    lastSent = Date()
                }
            }
        }

        /// Counts bytes before handing them over and takes back what was not
        /// sent, so the count is never behind what the client has read.
        private func sendAll(_ bytes: [UInt8], to client: Int32, counting index: Int? = nil)
            -> Bool
        {
            var offset = 0
            while offset < bytes.count {
                let chunk = min(65536, bytes.count - offset)
                if let index { locked { requests[index].bodyBytesSent += chunk } }
                let sent = bytes[offset..<(offset + chunk)].withUnsafeBytes {
                    Glibc.send(client, $0.baseAddress, chunk, Int32(MSG_NOSIGNAL))
                }
                let failed = sent < 0 && errno != EINTR
                if let index { locked { requests[index].bodyBytesSent -= chunk - max(sent, 0) } }
                if failed || isStopping { return false }
                offset += max(sent, 0)
            }
            return true
        }
    }
}

private func reason(_ status: Int) -> String {
    let reasons = [
        100: "Continue", 200: "OK", 201: "Created", 206: "Partial Content",
        304: "Not Modified", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
        405: "Method Not Allowed", 411: "Length Required", 413: "Content Too Large",
        416: "Range Not Satisfiable", 429: "Too Many Requests",
        500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
        504: "Gateway Timeout",
    ]
    return reasons[status] ?? "Status"
}

private let httpDateFormat = "%a, %d %b %Y %H:%M:%S GMT"

private func httpDate(_ seconds: Int) -> String {
    var time = time_t(seconds)
    var parts = tm()
    gmtime_r(&time, &parts)
    var buffer = [CChar](repeating: 0, count: 64)
    let count = strftime(&buffer, buffer.count, httpDateFormat, &parts)
    return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Reads the one date format HTTP/1.1 clients send today,
/// "Sun, 06 Nov 1994 08:49:37 GMT".
private func parseHTTPDate(_ text: String) -> Int? {
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    let fields = text.split(separator: " ")
    guard fields.count == 6, fields[5] == "GMT",
        let day = Int32(fields[1]), let month = months.firstIndex(of: String(fields[2])),
        let year = Int32(fields[3])
    else { return nil }
    let clock = fields[4].split(separator: ":").compactMap { Int32($0) }
    guard clock.count == 3 else { return nil }
    var parts = tm()
    parts.tm_year = year - 1900
    parts.tm_mon = Int32(month)
    parts.tm_mday = day
    parts.tm_hour = clock[0]
    parts.tm_min = clock[1]
    parts.tm_sec = clock[2]
    return Int(timegm(&parts))
}
