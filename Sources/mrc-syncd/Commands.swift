import Foundation
import SyncCore

enum StatusCommand {
    /// Prints the status and returns the exit status: 0 healthy, 1 needs
    /// attention, 2 the state cannot be read.
    static func run(configURL: URL, json: Bool) -> Int32 {
        do {
            let configuration = try Configuration.load(from: configURL)
            let report = try StatusReport.gather(configuration: configuration)
            if json {
                FileHandle.standardOutput.write(report.json())
                print()
            } else {
                print(report.text(), terminator: "")
            }
            return report.exitStatus
        } catch {
            let message = (error as? SyncError)?.message ?? "\(error)"
            FileHandle.standardError.write(Data("mrc-syncd: cannot read the state: \(message)\n".utf8))
            return StatusReport.unreadableExitStatus
        }
    }
}

enum ImportCommand {
    static func run(path: URL, configuration: Configuration, logger: Logger) throws -> Int32 {
        let importer = Importer(configuration: configuration, logger: logger) { event in
            switch event {
            case .scanned(let bundles, let skipped, let refused, let incomplete):
                var line = "Found \(bundles) bundle(s) in \(path.path)"
                if skipped > 0 { line += ", skipped \(skipped) other file(s)" }
                if incomplete > 0 { line += ", \(incomplete) incomplete" }
                if refused > 0 { line += ", refused \(refused)" }
                progress(line + ".")
            case .applying(let step, let total, let header, let size):
                let what = header.kind == .snapshot
                    ? "full release \(header.targetRelease)"
                    : "changes \(header.baseRelease) → \(header.targetRelease)"
                progress("[\(step)/\(total)] Installing \(what) (\(formatBytes(size)))…")
            case .applied(let header):
                progress("      release \(header.targetRelease) installed and checked.")
            case .indexed:
                progress("      search index updated.")
            case .searchIndexRebuilt:
                progress("Rebuilt the search index, which was behind the installed release.")
            }
        }
        let report = try importer.importBundles(from: path)
        print(report.message)
        return report.exitStatus
    }

    private static func progress(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

enum SyncCommand {
    /// One pull in the foreground, ignoring the sync window; exit 0 when
    /// the replica is current.
    static func run(configuration: Configuration, logger: Logger) throws -> Int32 {
        // The service and a hand-started sync would write the same partial
        // downloads; while the service runs, it does the syncing.
        try FileSystem.createDirectory(configuration.stateDirectory)
        guard let instance = try FileLock.tryLock(
            configuration.stateDirectory.appendingPathComponent("daemon.lock"))
        else {
            throw SyncError(
                .busy,
                "The mrc-syncd service is running and fetches new content by itself; "
                    + "\"mrc-syncd status\" shows what it is doing.")
        }
        defer { withExtendedLifetime(instance) {} }
        var lastActivity = ""
        let cycle = try SyncCycle(
            configuration: configuration, logger: logger,
            onActivity: { activity in
                // Progress repeats the same activity with new numbers;
                // print each kind of step once.
                let kind = activity.split(separator: ":").first.map(String.init) ?? activity
                if kind != lastActivity {
                    FileHandle.standardError.write(Data("\(activity)…\n".utf8))
                    lastActivity = kind
                }
            })
        let outcome = try cycle.run()
        print(outcome.message)
        return 0
    }
}

enum VerifyCommand {
    static func run(configuration: Configuration) throws -> Int32 {
        let replica = try Replica.openReadOnly(at: configuration.replicaURL)
        let info: ReplicaInfo
        let problems: [String]
        let digest: ContentDigest
        do {
            info = try replica?.info() ?? .empty
            guard let replica, info.release > 0 else { return try noContent(configuration) }
            problems = try replica.integrityProblems()
            digest = try replica.computeDigest()
        } catch let error as SyncError where error.code == .digestMismatch {
            // SQLite stopped on a damaged page before it could list problems.
            print(error.message)
            try markNeedsSnapshot(configuration)
            return SyncError.Code.storage.rawValue
        }
        guard problems.isEmpty else {
            print("The local database is damaged: \(problems.prefix(5).joined(separator: "; "))")
            print("Import a full snapshot (of release \(info.release) or newer) to repair it.")
            try markNeedsSnapshot(configuration)
            return SyncError.Code.storage.rawValue
        }
        guard digest == info.contentDigest else {
            print("The content does not match release \(info.release) as published: "
                + "it has been changed on this computer. Import a full snapshot "
                + "(of release \(info.release) or newer) to repair it.")
            try markNeedsSnapshot(configuration)
            return SyncError.Code.digestMismatch.rawValue
        }
        print("The content is intact: release \(info.release), digest \(digest.shortHex).")
        return 0
    }

    /// No release in the replica: a new centre, or one whose replica went
    /// missing or empty after releases were installed.
    private static func noContent(_ configuration: Configuration) throws -> Int32 {
        let installed = try SyncState.load(from: configuration.stateURL).installedRelease ?? 0
        guard installed > 0 else {
            print("No content is installed yet; there is nothing to check.")
            return 0
        }
        print("The content database is missing or empty, although release \(installed) "
            + "was installed here. Import a full snapshot (of release \(installed) or "
            + "newer) to bring the content back.")
        try markNeedsSnapshot(configuration)
        return SyncError.Code.storage.rawValue
    }

    /// Lets `status` warn and the next import accept a repairing snapshot.
    private static func markNeedsSnapshot(_ configuration: Configuration) throws {
        try SyncState.update(at: configuration.stateURL) { $0.needsSnapshot = true }
    }
}
