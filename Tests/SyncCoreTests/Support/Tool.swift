import Foundation

/// Runs one of the package's executables, as staff or a script would.
struct Tool {
    struct Result {
        /// The exit status, or the signal number when `signal` is set.
        let status: Int32
        /// The signal that ended the process, if one did.
        let signal: Int32?
        let stdout: String
        let stderr: String
    }

    let name: String

    static let syncd = Tool(name: "mrc-syncd")
    static let publish = Tool(name: "mrc-publish")

    /// The build folder that holds the test bundle also holds the tools.
    static let buildDirectory: URL = {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = runner.deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.isExecutableFile(
                atPath: directory.appendingPathComponent("mrc-syncd").path)
            {
                return directory
            }
            directory.deleteLastPathComponent()
        }
        // Fall back to the package's default build folder.
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug")
    }()

    func run(
        _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]
    ) throws -> Result {
        let process = Process()
        process.executableURL = Self.buildDirectory.appendingPathComponent(name)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting, so a chatty tool cannot block.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let signaled = process.terminationReason == .uncaughtSignal
        return Result(
            status: process.terminationStatus,
            signal: signaled ? process.terminationStatus : nil,
            stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }
}
