import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `mrc-syncd run` as a child process, as systemd would start it: with the
/// environment given (NOTIFY_SOCKET, WATCHDOG_USEC …) and its log lines in
/// a file that a test can read while it runs.
final class DaemonProcess {
    let process = Process()
    let logURL: URL

    var pid: Int32 { process.processIdentifier }

    init(config: URL, environment: [String: String] = [:], logIn directory: URL) throws {
        logURL = directory.appendingPathComponent("daemon-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.executableURL = Tool.buildDirectory.appendingPathComponent("mrc-syncd")
        process.arguments = ["--config", config.path, "run"]
        var inherited = ProcessInfo.processInfo.environment
        // A test run under systemd must not hand its own settings down.
        for key in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            inherited[key] = nil
        }
        process.environment = inherited.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: logURL)
        try process.run()
    }

    deinit {
        if process.isRunning { kill(pid, SIGKILL) }
    }

    /// The log lines written so far.
    var log: String {
        (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
    }

    func signal(_ number: Int32) {
        kill(pid, number)
    }

    /// Sends SIGTERM and waits for the process to end, at most `limit`
    /// seconds; after that it is killed. Returns the seconds it took.
    @discardableResult
    func terminate(within limit: TimeInterval = 10) -> TimeInterval {
        let asked = Date()
        kill(pid, SIGTERM)
        let deadline = asked.addingTimeInterval(limit)
        while process.isRunning && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        let elapsed = Date().timeIntervalSince(asked)
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
        return elapsed
    }

    /// True when the process ended by itself with exit status 0.
    var exitedCleanly: Bool {
        !process.isRunning && process.terminationReason == .exit
            && process.terminationStatus == 0
    }
}

/// Polls `condition` every 50 ms for up to `seconds`.
func eventually(seconds: TimeInterval, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return try condition()
}
