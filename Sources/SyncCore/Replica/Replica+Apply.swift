import Foundation

extension Replica {
    /// Applies one release in a single transaction.
    ///
    /// Before anything is written the update must be for `channel`, newer
    /// than the replica, and (for a delta) based on exactly the replica's
    /// release. After the rows are changed, the content digest, kept up
    /// from the rows SQLite changed (`DigestRecorder`), must equal the
    /// signed one. Any failure rolls the whole transaction back, so after a
    /// crash at any instant the replica is at the old release or the new
    /// one. The search index is not touched:
    /// `updateSearchIndex(after:keepGoing:)` brings it up to the release
    /// afterwards.
    ///
    /// With `repairing`, a snapshot of the replica's own release is also
    /// accepted: it puts back the signed content over a replica that has
    /// drifted from it, without moving the release.
    ///
    /// `keepGoing` is called every few thousand SQLite steps while the
    /// release is applied, so a long apply can show that it is alive (the
    /// daemon pings systemd's watchdog from it). Returning false stops the
    /// apply; it rolls back and throws, and the replica keeps its release.
    public func apply(
        _ update: ReleaseUpdate, channel: String, repairing: Bool = false,
        keepGoing: () -> Bool = { true }
    ) throws {
        try stoppableWrite(
            "apply release \(update.targetRelease)", keepGoing: keepGoing,
            stopped: "Installing release \(update.targetRelease) was stopped before it finished. "
                + "Nothing was changed; it is installed again on the next attempt."
        ) {
            let current = try info()
            try update.step.checkApplicable(onto: current, channel: channel, repairing: repairing)
            try applyRows(of: update, onto: current)
            try writeMeta(for: update, over: current)
            CrashPoint.applying.reach()
        }
    }

    /// Runs `body` in a write transaction, with `keepGoing` asked every few
    /// thousand SQLite steps; when it says no, the statement running then
    /// fails, the transaction rolls back, and the error says `stopped`.
    /// SQLite's errors are reported as failing to do `action`.
    func stoppableWrite(
        _ action: String, keepGoing: () -> Bool, stopped message: String,
        _ body: () throws -> Void
    ) throws {
        var stopped = false
        do {
            // Only the statement running when asked is stopped: the rollback
            // that follows must run to its end.
            let progress = {
                if stopped || keepGoing() { return true }
                stopped = true
                return false
            }
            try database.withProgressHandler(progress) {
                try storage(action) { try database.writeTransaction { try body() } }
            }
        } catch where stopped {
            throw SyncError(.storage, message)
        }
    }

    private func applyRows(of update: ReleaseUpdate, onto current: ReplicaInfo) throws {
        let base: ContentDigest
        switch update.kind {
        case .snapshot:
            for table in try database.contentTables() {
                try database.execute("DROP TABLE \(quote(table.name))")
            }
            base = .empty
        case .delta:
            base = current.contentDigest
        }
        for statement in update.schemaStatements {
            try database.execute(statement)
        }

        // SQLite skips the changes of a table it cannot match, so the
        // tables the patchset names are checked against the replica's; on
        // a thread of its own, while the patchset is applied.
        let tables = try database.contentTables()
        let patchset = update.patchset
        let summaries = Background { try patchset.tableSummaries() }
        let recorder = DigestRecorder(database: database, tables: tables, digest: base)
        let applied = Result { try recorder.record { try update.patchset.apply(to: database) } }
        // Waited for whatever happened, so that no thread outlives the apply.
        let named = Result { try summaries.value() }
        do {
            try applied.get()
        } catch let conflict as PatchsetConflict {
            throw SyncError(
                .digestMismatch,
                "Release \(update.targetRelease) does not fit this replica (\(conflict)). "
                    + "The replica was left at release \(current.release); "
                    + "import a full snapshot to repair it.")
        }
        let tablesNamed = try named.get()
        for summary in tablesNamed where !tables.contains(where: { $0.matches(summary) }) {
            throw SyncError(
                .malformed,
                "The bundle changes a table the replica does not have, or has with other "
                    + "columns: \(summary.name). Nothing was changed: the replica is still at "
                    + "release \(current.release).")
        }
        let expected = tablesNamed.reduce(0) { $0 + $1.changes }
        guard !recorder.incomplete, recorder.changes == expected else {
            throw SyncError(
                .storage,
                "While applying release \(update.targetRelease), SQLite reported "
                    + "\(recorder.changes) of the bundle's \(expected) row changes"
                    + (recorder.incomplete ? " and withheld some of their values" : "")
                    + ". Nothing was changed: the replica is still at release "
                    + "\(current.release).")
        }
        guard recorder.digest == update.contentDigest else {
            throw SyncError(
                .digestMismatch,
                "After applying release \(update.targetRelease) the content did not match "
                    + "what the central office signed. Nothing was changed: the replica is "
                    + "still at release \(current.release). Import a full snapshot to repair it.")
        }
    }

    private func writeMeta(for update: ReleaseUpdate, over current: ReplicaInfo) throws {
        let values: [(String, String)] = [
            ("channel", update.channel),
            ("release", String(update.targetRelease)),
            ("published_at", Timestamp.format(update.publishedAt)),
            ("applied_at", Timestamp.format(Date())),
            ("schema_version", String(update.schemaVersion)),
            ("content_digest", update.contentDigest.hex),
        ]
        let statement = try database.prepare(
            "INSERT OR REPLACE INTO replica_meta (key, value) VALUES (?, ?)")
        for (key, value) in values {
            try statement.run([.text(key), .text(value)])
        }
        // A replica from before the search index was kept up separately
        // has no record of the release it indexes; it is the old one.
        try database.run(
            "INSERT OR IGNORE INTO replica_meta (key, value) VALUES (?, ?)",
            [.text(Self.searchReleaseKey), .text(String(current.release))])
    }
}

/// The numbers that decide whether a bundle may be applied, known from its
/// header before its payload is read.
public struct ReleaseStep: Sendable {
    public var kind: ReleaseUpdate.Kind
    public var channel: String
    public var baseRelease: Int
    public var targetRelease: Int
    public var schemaVersion: Int

    /// Refuses a step that is for another channel, needs a newer program,
    /// would not move the replica forward, or is a delta from a release the
    /// replica is not at or across a change of the content schema, which
    /// only a snapshot carries.
    public func checkApplicable(
        onto current: ReplicaInfo, channel expected: String, repairing: Bool = false
    ) throws {
        guard channel == expected, current.channel == nil || current.channel == channel else {
            throw SyncError(
                .wrongChannel,
                "This bundle is for the channel \"\(channel)\", but this centre follows "
                    + "\"\(current.channel ?? expected)\". Nothing was changed. Ask the central "
                    + "office for bundles of \"\(current.channel ?? expected)\".")
        }
        guard schemaVersion <= ContentSchema.version else {
            throw SyncError(
                .unsupportedVersion,
                "Release \(targetRelease) needs a newer mrc-syncd (content schema "
                    + "\(schemaVersion); this one knows up to \(ContentSchema.version)). "
                    + "Nothing was changed. Ask for an update of the program.")
        }
        if repairing && kind == .delta {
            throw SyncError(
                .digestMismatch,
                "This centre's content no longer matches release \(current.release) and only a "
                    + "full snapshot can repair it; a bundle of changes cannot. Nothing was changed. "
                    + "Import a snapshot of release \(current.release) or newer.")
        }
        let isRepair = repairing && kind == .snapshot && targetRelease == current.release
        guard targetRelease > current.release || isRepair else {
            throw SyncError(
                .rollback,
                "This bundle holds release \(targetRelease), but this centre already has "
                    + "release \(current.release). Older content is never installed over "
                    + "newer content. Nothing was changed.")
        }
        if kind == .delta && baseRelease != current.release {
            throw SyncError(
                .baseMismatch,
                "This bundle updates release \(baseRelease) to \(targetRelease), but this "
                    + "centre has release \(current.release). Nothing was changed. Import the "
                    + "bundles in between, or a full snapshot.")
        }
        if kind == .delta && schemaVersion != current.schemaVersion {
            throw SyncError(
                .baseMismatch,
                "Release \(targetRelease) changes how the content is stored, which only a full "
                    + "snapshot can install. Nothing was changed. Import the snapshot of release "
                    + "\(targetRelease).")
        }
    }
}

extension ReleaseUpdate {
    public var step: ReleaseStep {
        ReleaseStep(
            kind: kind, channel: channel, baseRelease: baseRelease, targetRelease: targetRelease,
            schemaVersion: schemaVersion)
    }
}

/// Work done on a thread of its own, whose result is waited for when it is
/// needed.
private final class Background<T>: @unchecked Sendable {
    private var result: Result<T, Error>?
    private var worker: WorkerThread?

    init(_ body: @escaping @Sendable () throws -> T) {
        worker = WorkerThread { [self] in result = Result { try body() } }
    }

    /// The result, once the thread has ended.
    func value() throws -> T {
        worker?.join()
        return try result!.get()
    }
}
