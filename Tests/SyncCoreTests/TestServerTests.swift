import Foundation
import Testing

/// The servers the network tests run against must themselves do exactly
/// what those tests assume, or a downloader bug could hide behind a server
/// bug. curl is the independent client that checks them.
@Suite("Test servers")
struct TestServerTests {
    // MARK: FaultServer

    @Test("fault server: a plain GET is a 200 with the whole file and an ETag")
    func faultWhole() throws {
        let (scratch, server, file) = try faultServer()
        let reply = try Curl.run(server.baseURL, "a.mrcb", in: scratch)

        #expect(reply.status == 200)
        #expect(reply.body == file)
        #expect(reply.headers["etag"]?.hasPrefix("\"\(file.count)-") == true)
        #expect(reply.headers["accept-ranges"] == "bytes")
        let head = try Curl.run(server.baseURL, "a.mrcb", ["-I"], in: scratch)
        #expect(head.headers["content-length"] == "\(file.count)")
        #expect(server.requests == [
            FaultServer.Request(
                method: "GET", path: "/a.mrcb", range: nil, status: 200,
                bodyBytesSent: file.count),
            FaultServer.Request(
                method: "HEAD", path: "/a.mrcb", range: nil, status: 200, bodyBytesSent: 0),
        ])
    }

    @Test("fault server: a range from N is a 206 with the bytes from N")
    func faultRange() throws {
        let (scratch, server, file) = try faultServer()
        let reply = try Curl.run(server.baseURL, "a.mrcb", ["-r", "1000-"], in: scratch)

        #expect(reply.status == 206)
        #expect(reply.headers["content-range"] == "bytes 1000-\(file.count - 1)/\(file.count)")
        #expect(reply.body == file.dropFirst(1000))
        #expect(server.requests.first?.range == "bytes=1000-")
        #expect(server.bodyBytesSent(path: "/a.mrcb") == file.count - 1000)
    }

    @Test("fault server: a range past the end is a 416 naming the size")
    func faultRangePastEnd() throws {
        let (scratch, server, file) = try faultServer()
        let reply = try Curl.run(
            server.baseURL, "a.mrcb", ["-r", "\(file.count)-"], in: scratch)

        #expect(reply.status == 416)
        #expect(reply.headers["content-range"] == "bytes */\(file.count)")
        #expect(reply.headers["content-type"] == "text/html")
    }

    @Test("fault server: a matching If-None-Match or If-Modified-Since is a 304")
    func faultNotModified() throws {
        let (scratch, server, _) = try faultServer()
        let first = try Curl.run(server.baseURL, "a.mrcb", in: scratch)
        let etag = try #require(first.headers["etag"])
        let modified = try #require(first.headers["last-modified"])

        let byTag = try Curl.run(
            server.baseURL, "a.mrcb", ["-H", "If-None-Match: \(etag)"], in: scratch)
        let byDate = try Curl.run(
            server.baseURL, "a.mrcb", ["-H", "If-Modified-Since: \(modified)"], in: scratch)
        let otherTag = try Curl.run(
            server.baseURL, "a.mrcb", ["-H", "If-None-Match: \"1-1\""], in: scratch)

        #expect(byTag.status == 304)
        #expect(byTag.body.isEmpty)
        #expect(byDate.status == 304)
        #expect(otherTag.status == 200)
    }

    @Test("fault server: ignoreRange answers a range with the whole file")
    func faultIgnoreRange() throws {
        let (scratch, server, file) = try faultServer()
        server.setBehaviour(.ignoreRange, forPath: "/a.mrcb")
        let reply = try Curl.run(server.baseURL, "a.mrcb", ["-r", "1000-"], in: scratch)

        #expect(reply.status == 200)
        #expect(reply.headers["content-range"] == nil)
        #expect(reply.body == file)
    }

    @Test("fault server: rangeStartsEarlier starts at the alignment below N")
    func faultRangeStartsEarlier() throws {
        let (scratch, server, file) = try faultServer(size: 200_000)
        server.setBehaviour(.rangeStartsEarlier(alignment: 65536), forPath: nil)
        let reply = try Curl.run(server.baseURL, "a.mrcb", ["-r", "100000-"], in: scratch)

        #expect(reply.status == 206)
        #expect(reply.headers["content-range"] == "bytes 65536-199999/200000")
        #expect(reply.body == file.dropFirst(65536))
    }

    @Test("fault server: rangeStartsLater skips bytes after N")
    func faultRangeStartsLater() throws {
        let (scratch, server, file) = try faultServer()
        server.setBehaviour(.rangeStartsLater(by: 10), forPath: nil)
        let reply = try Curl.run(server.baseURL, "a.mrcb", ["-r", "1000-"], in: scratch)

        #expect(reply.status == 206)
        #expect(reply.headers["content-range"] == "bytes 1010-\(file.count - 1)/\(file.count)")
        #expect(reply.body == file.dropFirst(1010))
    }

    @Test("fault server: partialWithoutContentRange leaves out Content-Range")
    func faultPartialWithoutContentRange() throws {
        let (scratch, server, file) = try faultServer()
        server.setBehaviour(.partialWithoutContentRange, forPath: nil)
        let reply = try Curl.run(server.baseURL, "a.mrcb", ["-r", "1000-"], in: scratch)

        #expect(reply.status == 206)
        #expect(reply.headers["content-range"] == nil)
        #expect(reply.body == file.dropFirst(1000))
    }

    @Test("fault server: rangeNotSatisfiableHTML refuses any range with HTML only")
    func faultRangeNotSatisfiableHTML() throws {
        let (scratch, server, file) = try faultServer()
        server.setBehaviour(.rangeNotSatisfiableHTML, forPath: nil)
        let ranged = try Curl.run(server.baseURL, "a.mrcb", ["-r", "0-"], in: scratch)
        let whole = try Curl.run(server.baseURL, "a.mrcb", in: scratch)

        #expect(ranged.status == 416)
        #expect(ranged.headers["content-range"] == nil)
        #expect(String(decoding: ranged.body, as: UTF8.self).hasPrefix("<html>"))
        #expect(whole.status == 200)
        #expect(whole.body == file)
    }

    @Test("fault server: cutAfter promises the whole file and sends only that many bytes")
    func faultCutAfter() throws {
        let (scratch, server, file) = try faultServer()
        server.setBehaviour(.cutAfter(bytes: 1000), forPath: "/a.mrcb")
        let reply = try Curl.run(server.baseURL, "a.mrcb", in: scratch)
        let resumed = try Curl.run(server.baseURL, "a.mrcb", ["-r", "1000-"], in: scratch)

        #expect(reply.exitCode == Curl.partialFile)
        #expect(reply.headers["content-length"] == "\(file.count)")
        #expect(reply.body == file.prefix(1000))
        // A resumed request is cut too, after as many bytes of its range.
        #expect(resumed.status == 206)
        #expect(resumed.body == file.dropFirst(1000).prefix(1000))
        #expect(server.bodyBytesSent(path: "/a.mrcb") == 2000)
    }

    @Test("fault server: wrongContentLength promises more than it sends")
    func faultWrongContentLength() throws {
        let (scratch, server, file) = try faultServer()
        server.setBehaviour(.wrongContentLength(extra: 100), forPath: nil)
        let reply = try Curl.run(server.baseURL, "a.mrcb", in: scratch)

        #expect(reply.exitCode == Curl.partialFile)
        #expect(reply.headers["content-length"] == "\(file.count + 100)")
        #expect(reply.body == file)
    }

    @Test("fault server: a stall holds the connection until the client gives up")
    func faultStall() throws {
        let (scratch, server, file) = try faultServer()
        server.setBehaviour(.stall(afterBytes: 500, trickleEvery: nil), forPath: nil)
        let started = Date()
        let reply = try Curl.run(server.baseURL, "a.mrcb", ["--max-time", "1"], in: scratch)

        #expect(reply.exitCode == Curl.timedOut)
        #expect(reply.body == file.prefix(500))
        #expect(Date().timeIntervalSince(started) < 3)
    }

    @Test("fault server: a trickling stall sends a byte at a time")
    func faultTrickle() throws {
        let (scratch, server, file) = try faultServer()
        server.setBehaviour(.stall(afterBytes: 500, trickleEvery: 0.1), forPath: nil)
        let reply = try Curl.run(server.baseURL, "a.mrcb", ["--max-time", "1"], in: scratch)

        #expect(reply.exitCode == Curl.timedOut)
        #expect(reply.body.count > 502 && reply.body.count < 520)
        #expect(reply.body == file.prefix(reply.body.count))
    }

    @Test("fault server: stop ends a stalled connection within a second")
    func faultStopMidStall() throws {
        let (scratch, server, _) = try faultServer()
        defer { withExtendedLifetime(scratch) {} }
        server.setBehaviour(.stall(afterBytes: 10, trickleEvery: nil), forPath: nil)
        let client = try Curl.start(
            server.baseURL.appendingPathComponent("a.mrcb"), ["--max-time", "20"])
        defer { if client.isRunning { client.terminate() } }
        // Once the body has started, the headers are with the client.
        let deadline = Date().addingTimeInterval(5)
        while server.bodyBytesSent(path: "/a.mrcb") < 10, Date() < deadline { usleep(10_000) }
        try #require(server.bodyBytesSent(path: "/a.mrcb") == 10)

        let stopping = Date()
        server.stop()

        #expect(Date().timeIntervalSince(stopping) < 1.5)
        client.waitUntilExit()
        #expect(client.terminationStatus == Curl.partialFile)
    }

    @Test("fault server: status answers with that status and Retry-After")
    func faultStatus() throws {
        let (scratch, server, _) = try faultServer()
        server.setBehaviour(.status(503, retryAfter: 7), forPath: nil)
        let reply = try Curl.run(server.baseURL, "a.mrcb", in: scratch)

        #expect(reply.status == 503)
        #expect(reply.headers["retry-after"] == "7")
        #expect(server.requests.map(\.status) == [503])
    }

    @Test("fault server: a behaviour for a path wins over the one for all paths")
    func faultPerPath() throws {
        let (scratch, server, _) = try faultServer()
        try Data("b".utf8).write(to: scratch.path("root", "b.mrcb"))
        server.setBehaviour(.status(500, retryAfter: nil), forPath: nil)
        server.setBehaviour(.normal, forPath: "/a.mrcb")

        #expect(try Curl.run(server.baseURL, "a.mrcb", in: scratch).status == 200)
        #expect(try Curl.run(server.baseURL, "b.mrcb", in: scratch).status == 500)
        #expect(try Curl.run(server.baseURL, "none", in: scratch).status == 500)
    }

    @Test("fault server: PUT stores the body, small or large, and answers 201")
    func faultPut() throws {
        let (scratch, server, _) = try faultServer()
        let small = Data("report\n".utf8)
        let large = Curl.pattern(count: 2_000_000)
        try small.write(to: scratch.path("small"))
        try large.write(to: scratch.path("large"))

        let first = try Curl.run(
            server.baseURL, "up/c1/small", ["-T", scratch.path("small").path], in: scratch)
        let second = try Curl.run(
            server.baseURL, "up/c1/large", ["-T", scratch.path("large").path], in: scratch)

        #expect(first.status == 201)
        #expect(second.status == 201)
        #expect(try Data(contentsOf: scratch.path("root", "up", "c1", "small")) == small)
        #expect(try Data(contentsOf: scratch.path("root", "up", "c1", "large")) == large)
        #expect(server.requests.map(\.method) == ["PUT", "PUT"])
    }

    // MARK: nginx

    @Test("nginx: serves a bundle whole, with its ETag and a long cache life")
    func nginxWhole() throws {
        let (scratch, server, file) = try nginx()
        let reply = try Curl.run(server.baseURL, "mm-main/a.mrcb", in: scratch)

        #expect(reply.status == 200)
        #expect(reply.body == file)
        #expect(reply.headers["etag"] != nil)
        #expect(reply.headers["content-type"] == "application/octet-stream")
        #expect(reply.headers["cache-control"] == "public, max-age=31536000, immutable")
        #expect(reply.headers["accept-ranges"] == "bytes")
    }

    @Test("nginx: the index must be revalidated by every cache")
    func nginxIndex() throws {
        let (scratch, server, _) = try nginx()
        try Data("index".utf8).write(to: scratch.path("repository", "mm-main", "index.mrci"))
        let reply = try Curl.run(server.baseURL, "mm-main/index.mrci", in: scratch)

        #expect(reply.status == 200)
        #expect(reply.headers["cache-control"] == "no-cache")
        #expect(reply.headers["content-type"] == "application/octet-stream")
    }

    @Test("nginx: a range from N is a 206 that keeps the ETag")
    func nginxRange() throws {
        let (scratch, server, file) = try nginx()
        let whole = try Curl.run(server.baseURL, "mm-main/a.mrcb", in: scratch)
        let reply = try Curl.run(
            server.baseURL, "mm-main/a.mrcb", ["-r", "1000-"], in: scratch)

        #expect(reply.status == 206)
        #expect(reply.headers["content-range"] == "bytes 1000-\(file.count - 1)/\(file.count)")
        #expect(reply.headers["etag"] == whole.headers["etag"])
        #expect(reply.body == file.dropFirst(1000))
        #expect(server.bytesSent(path: "/mm-main/a.mrcb") == 2 * file.count - 1000)
    }

    @Test("nginx: more than one range is answered with the whole file")
    func nginxMultipleRanges() throws {
        let (scratch, server, file) = try nginx()
        let reply = try Curl.run(
            server.baseURL, "mm-main/a.mrcb", ["-r", "0-9,100-109"], in: scratch)

        #expect(reply.status == 200)
        #expect(reply.body == file)
    }

    @Test("nginx: a range at or past the end is a 416 naming the size")
    func nginxRangePastEnd() throws {
        let (scratch, server, file) = try nginx()
        let reply = try Curl.run(
            server.baseURL, "mm-main/a.mrcb", ["-r", "\(file.count)-"], in: scratch)

        #expect(reply.status == 416)
        #expect(reply.headers["content-range"] == "bytes */\(file.count)")
        #expect(reply.headers["content-type"] == "text/html")
    }

    @Test("nginx: a matching If-None-Match or If-Modified-Since is an empty 304")
    func nginxNotModified() throws {
        let (scratch, server, _) = try nginx()
        let first = try Curl.run(server.baseURL, "mm-main/a.mrcb", in: scratch)
        let etag = try #require(first.headers["etag"])
        let modified = try #require(first.headers["last-modified"])

        let byTag = try Curl.run(
            server.baseURL, "mm-main/a.mrcb", ["-H", "If-None-Match: \(etag)"], in: scratch)
        let byDate = try Curl.run(
            server.baseURL, "mm-main/a.mrcb", ["-H", "If-Modified-Since: \(modified)"],
            in: scratch)

        #expect(byTag.status == 304)
        #expect(byTag.body.isEmpty)
        #expect(byTag.headers["etag"] == etag)
        #expect(byDate.status == 304)
        #expect(server.requests.map(\.status) == [200, 304, 304])
        #expect(server.requests.map(\.bodyBytesSent).dropFirst() == [0, 0])
    }

    @Test("nginx: PUT under /uploads/ stores the file, which cannot be read back")
    func nginxUpload() throws {
        let (scratch, server, _) = try nginx()
        try Data("report\n".utf8).write(to: scratch.path("report"))
        let put = try Curl.run(
            server.baseURL, "uploads/c1/2024/report.txt", ["-T", scratch.path("report").path],
            in: scratch)
        let get = try Curl.run(server.baseURL, "uploads/c1/2024/report.txt", in: scratch)
        let delete = try Curl.run(
            server.baseURL, "uploads/c1/2024/report.txt", ["-X", "DELETE"], in: scratch)
        let mkcol = try Curl.run(server.baseURL, "uploads/c2/", ["-X", "MKCOL"], in: scratch)
        let listing = try Curl.run(server.baseURL, "uploads/", in: scratch)

        #expect(put.status == 201)
        #expect(server.requests.first?.method == "PUT")
        #expect(
            try Data(contentsOf: scratch.path("uploads", "c1", "2024", "report.txt"))
                == Data("report\n".utf8))
        #expect([get, delete, mkcol, listing].map(\.status) == [403, 403, 403, 403])
        #expect(FileManager.default.fileExists(atPath: scratch.path("uploads", "c1").path))
        #expect(!FileManager.default.fileExists(atPath: scratch.path("uploads", "c2").path))
    }

    @Test("nginx: no PUT into the repository, of dot files or past 16 MiB; 204 on replace")
    func nginxUploadRefused() throws {
        let (scratch, server, _) = try nginx()
        try Data("x".utf8).write(to: scratch.path("x"))
        let intoRepository = try Curl.run(
            server.baseURL, "mm-main/b.mrcb", ["-T", scratch.path("x").path], in: scratch)
        let hidden = try Curl.run(
            server.baseURL, "uploads/c1/.htaccess", ["-T", scratch.path("x").path], in: scratch)
        try Data(count: 16 << 20 + 1).write(to: scratch.path("large"))
        let tooLarge = try Curl.run(
            server.baseURL, "uploads/c1/large", ["-T", scratch.path("large").path], in: scratch)
        // nginx answers 201 for a new file and 204 for one it replaced.
        _ = try Curl.run(server.baseURL, "uploads/x", ["-T", scratch.path("x").path], in: scratch)
        let replaced = try Curl.run(
            server.baseURL, "uploads/x", ["-T", scratch.path("x").path], in: scratch)

        #expect(intoRepository.status == 405)
        #expect(hidden.status == 403)
        #expect(tooLarge.status == 413)
        #expect(replaced.status == 204)
        let files = FileManager.default
        #expect(!files.fileExists(atPath: scratch.path("repository", "mm-main", "b.mrcb").path))
        #expect(!files.fileExists(atPath: scratch.path("uploads", "c1", ".htaccess").path))
        #expect(!files.fileExists(atPath: scratch.path("uploads", "c1", "large").path))
    }

    @Test("nginx: hidden files and folder listings are refused")
    func nginxRefusals() throws {
        let (scratch, server, _) = try nginx()
        try Data("secret".utf8).write(to: scratch.path("repository", ".htpasswd"))
        let git = try scratch.directory("repository", ".git")
        try Data("[core]".utf8).write(to: git.appendingPathComponent("config"))

        let hidden = try Curl.run(server.baseURL, ".htpasswd", in: scratch)
        let inHidden = try Curl.run(server.baseURL, ".git/config", in: scratch)
        let listing = try Curl.run(server.baseURL, "mm-main/", in: scratch)

        #expect(hidden.status == 403)
        #expect(inHidden.status == 403)
        #expect(listing.status == 403)
        #expect(server.bytesSent(path: "/.htpasswd") > 0)  // the error page, not the file
        #expect(!String(decoding: hidden.body, as: UTF8.self).contains("secret"))
    }

    // MARK: Fixtures

    /// A fault server over `root/` holding `a.mrcb`.
    private func faultServer(size: Int = 4096) throws -> (Scratch, FaultServer, Data) {
        let scratch = try Scratch()
        let file = Curl.pattern(count: size)
        try file.write(to: try scratch.directory("root").appendingPathComponent("a.mrcb"))
        return (scratch, try FaultServer(root: scratch.path("root")), file)
    }

    /// nginx over `repository/` holding `mm-main/a.mrcb`, taking uploads
    /// into `uploads/`.
    private func nginx(size: Int = 4096) throws -> (Scratch, NginxServer, Data) {
        let scratch = try Scratch()
        let file = Curl.pattern(count: size)
        let channel = try scratch.directory("repository", "mm-main")
        try file.write(to: channel.appendingPathComponent("a.mrcb"))
        let server = try NginxServer(
            repository: scratch.path("repository"), uploads: try scratch.directory("uploads"))
        return (scratch, server, file)
    }
}

/// The curl command-line tool, as an HTTP client that shares no code with
/// the downloader under test.
private enum Curl {
    /// curl's exit code for a body shorter than its Content-Length.
    static let partialFile: Int32 = 18
    /// curl's exit code for `--max-time` running out.
    static let timedOut: Int32 = 28

    struct Reply {
        let exitCode: Int32
        let status: Int
        /// The final response's headers, names in lower case.
        let headers: [String: String]
        let body: Data
    }

    /// Bytes that differ at every offset a test looks at, so that a body
    /// taken from the wrong offset cannot pass for the right one.
    static func pattern(count: Int) -> Data {
        var state: UInt32 = 2_463_534_242
        return Data((0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            return UInt8(truncatingIfNeeded: state)
        })
    }

    /// Starts curl and leaves it running, its body thrown away.
    static func start(_ url: URL, _ options: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments =
            ["-sS", "--noproxy", "*", "-o", "/dev/null"] + options + [url.absoluteString]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs curl on `base` + `path`; any method, since the options may say
    /// `-T` or `-X`.
    static func run(_ base: URL, _ path: String, _ options: [String] = [], in scratch: Scratch)
        throws -> Reply
    {
        let id = UUID().uuidString
        let headerFile = scratch.path("curl-\(id).headers")
        let bodyFile = scratch.path("curl-\(id).body")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sS", "--noproxy", "*", "-D", headerFile.path, "-o", bodyFile.path]
            + options + [base.appendingPathComponent(path).absoluteString]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()

        let head = (try? String(contentsOf: headerFile, encoding: .utf8)) ?? ""
        // A 100 Continue comes before the final response in the same file.
        let final = head.components(separatedBy: "\r\n\r\n").last { !$0.isEmpty } ?? ""
        var lines = final.components(separatedBy: "\r\n")
        let statusLine = lines.isEmpty ? "" : lines.removeFirst()
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] =
                line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        return Reply(
            exitCode: process.terminationStatus, status: status ?? 0, headers: headers,
            body: (try? Data(contentsOf: bodyFile)) ?? Data())
    }
}
