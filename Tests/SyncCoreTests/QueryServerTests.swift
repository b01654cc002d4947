import Foundation
import Testing
@testable import SyncCore

@Suite("The local query socket")
struct QueryServerTests {
    /// Connects to a Unix socket, sends `lines`, and returns the answers.
    private func exchange(_ socket: URL, _ lines: [[UInt8]]) throws -> [String] {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socket.path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + 1)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        #expect(connected == 0)
        var answers = [String]()
        var buffer = [UInt8]()
        for line in lines {
            let bytes = line + [UInt8(ascii: "\n")]
            _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            while !buffer.contains(UInt8(ascii: "\n")) {
                var chunk = [UInt8](repeating: 0, count: 4096)
                let count = recv(fd, &chunk, chunk.count, 0)
                if count <= 0 { break }
                buffer += chunk[0..<count]
            }
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                answers.append(String(decoding: buffer[..<newline], as: UTF8.self))
                buffer.removeSubrange(...newline)
            }
        }
        return answers
    }

    @Test("a kiosk's question is scrubbed, stored before the answer, and bad input is refused")
    func kioskQuestions() throws {
        let world = try World()
        let socket = world.scratch.path("q.sock")
        let server = Process()
        server.executableURL = Tool.buildDirectory.appendingPathComponent("mrc-syncd")
        server.arguments = ["--config", world.configURL.path, "serve-queries", "--socket", socket.path]
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: socket.path) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }

        // A client that connects and says nothing holds up nobody: the
        // next answer comes well before its 5-second allowance runs out.
        let silent = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(silent) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(socket.path.utf8)) }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(silent, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        let asked = Date()
        let nul = try exchange(socket, [Array(#"{"text": "nul \u0000 inside"}"#.utf8)])
        #expect(Date().timeIntervalSince(asked) < 4)
        #expect(nul.first?.contains(#""ok":true"#) == true)

        let answers = try exchange(socket, [
            Array(#"{"text": "my boss kept passport MB1234567", "lang": "en", "topic": "rights"}"#.utf8),
            Array("not json".utf8),
            [0x7B, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D],
        ])

        #expect(answers.count == 3)
        #expect(answers[0].contains(#""ok":true"#) && answers[0].contains(#""redactions":1"#))
        #expect(answers[1].contains(#""ok":false"#))
        #expect(answers[2].contains("UTF-8"))
        let log = try QueryLog.open(at: world.configuration.queryLogURL)
        #expect(try log.summary().pending == 2)
        let texts = try log.database.rows("SELECT text FROM pending_query ORDER BY id")
        #expect(texts.first?.first == .text("nul   inside"))
        kill(server.processIdentifier, SIGTERM)
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
    }

    @Test("invalid UTF-8 on the command line is refused, not repaired")
    func invalidArgument() throws {
        let world = try World()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c", "exec \"$0\" --config \"$1\" log-query \"$(printf 'bad \\377 text')\"",
            Tool.buildDirectory.appendingPathComponent("mrc-syncd").path, world.configURL.path,
        ]
        let err = Pipe()
        process.standardError = err
        try process.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == SyncError.Code.usage.rawValue)
        #expect(message.contains("UTF-8"))
        #expect(!FileManager.default.fileExists(atPath: world.configuration.queryLogURL.path))
    }
}
