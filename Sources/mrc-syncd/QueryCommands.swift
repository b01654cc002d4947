import Foundation
import SyncCore

enum LogQueryCommand {
    static func run(
        _ text: String, lang: String?, topic: String?, channel: String?,
        configuration: Configuration
    ) throws -> Int32 {
        let where_ = try QueryLog.Channel(parsing: channel)
        try FileSystem.createDirectory(configuration.stateDirectory)
        let log = try QueryLog.open(at: configuration.queryLogURL)
        let recorded = try log.record(text, lang: lang, topic: topic, channel: where_)
        var line = "Recorded question \(recorded.id)"
        if recorded.redactions > 0 {
            line += "; \(recorded.redactions) personal detail(s) removed"
        }
        if recorded.convertedFrom != nil { line += "; converted from Zawgyi" }
        print(line + ".")
        return 0
    }
}

enum ExportQueriesCommand {
    static func run(path: URL, configuration: Configuration, logger: Logger) throws -> Int32 {
        let count = try QueryOutbox(configuration: configuration, logger: logger).export(to: path)
        print(count == 0
            ? "No visitor questions are waiting to be sent."
            : "Wrote \(count) sealed batch(es) of visitor questions to \(path.path). They stay on "
                + "this computer until the central office confirms them.")
        return 0
    }
}

enum SearchCommand {
    static func run(
        _ text: String, lang: String?, log: Bool, configuration: Configuration
    ) throws -> Int32 {
        guard let replica = try Replica.openReadOnly(at: configuration.replicaURL) else {
            throw SyncError(
                .noUsableChain, "No content is installed yet, so there is nothing to search.")
        }
        let hits = try replica.search(text, lang: lang)
        if hits.isEmpty {
            print("Nothing found. Try another word, or at least three letters.")
        }
        for hit in hits {
            print("\(hit.kind) \(hit.recordID): \(hit.title)")
        }
        if try replica.searchIndexIsBehind() {
            FileHandle.standardError.write(Data((
                "mrc-syncd: the search index is behind the installed release, so the newest "
                    + "changes may not be found; the next import, sync or check of the service "
                    + "brings it up to date.\n").utf8))
        }
        if log {
            try FileSystem.createDirectory(configuration.stateDirectory)
            try QueryLog.open(at: configuration.queryLogURL)
                .record(text, lang: lang, topic: nil, channel: .desk)
        }
        return 0
    }
}

extension QueryLog.Channel {
    init(parsing text: String?) throws {
        guard let text else {
            self = .desk
            return
        }
        guard let channel = QueryLog.Channel(rawValue: text) else {
            throw SyncError(.usage, "--channel must be desk, kiosk or phone, not \"\(text)\".")
        }
        self = channel
    }
}

/// Every argument must be valid UTF-8: Swift would otherwise replace bad
/// bytes silently, and a visitor's question would be stored altered.
func checkArgumentsAreUTF8() throws {
    for index in 1..<Int(CommandLine.argc) {
        guard let raw = CommandLine.unsafeArgv[index], String(validatingCString: raw) != nil else {
            throw SyncError(
                .usage,
                "The question, or another word on the command line, is not valid UTF-8 text, "
                    + "so nothing was recorded. Type it again, or set the terminal to UTF-8.")
        }
    }
}

enum ServeQueriesCommand {
    /// Serves the local query socket until SIGTERM or SIGINT.
    static func run(socket: URL?, configuration: Configuration, logger: Logger) throws -> Int32 {
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        signal(SIGPIPE, SIG_IGN)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

        try FileSystem.createDirectory(configuration.stateDirectory)
        let path = socket ?? configuration.stateDirectory.appendingPathComponent("queries.sock")
        guard let instance = try FileLock.tryLock(path.appendingPathExtension("lock")) else {
            throw SyncError(
                .busy, "Another serve-queries is already listening on \(path.path).")
        }
        defer { withExtendedLifetime(instance) {} }
        let server = try QueryServer(
            socket: path, log: try QueryLog.open(at: configuration.queryLogURL), logger: logger)
        logger.notice("queries.listening", [("socket", path.path)])
        server.run {
            var none = timespec(tv_sec: 0, tv_nsec: 0)
            return sigtimedwait(&stopSignals, nil, &none) > 0
        }
        unlink(path.path)
        logger.notice("queries.stopped")
        return 0
    }
}
