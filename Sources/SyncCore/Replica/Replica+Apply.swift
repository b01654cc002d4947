import Foundation

extension Replica {
    /// Applies one release in a single transaction.
    ///
    /// Before anything is written the update must be for `channel`, newer
    /// than the replica, and (for a delta) based on exactly the replica's
    /// release. After the rows are changed, the content digest, updated only
    /// for the rows the patchset touches, must equal the signed one. Any
    /// failure rolls the whole transaction back, so after a crash at any
    /// instant the replica is at the old release or the new one.
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
                try storage("apply release \(update.targetRelease)") {
                    try database.writeTransaction {
                        let current = try info()
                        try update.step.checkApplicable(
                            onto: current, channel: channel, repairing: repairing)
                        try applyRows(of: update, onto: current)
                        try writeMeta(for: update)
                        CrashPoint.applying.reach()
                    }
                }
            }
        } catch where stopped {
            throw SyncError(
                .storage,
                "Installing release \(update.targetRelease) was stopped before it finished. "
                    + "Nothing was changed; it is installed again on the next attempt.")
        }
    }

    private func applyRows(of update: ReleaseUpdate, onto current: ReplicaInfo) throws {
        var digest: ContentDigest
        switch update.kind {
        case .snapshot:
            for table in try database.contentTables() {
                try database.execute("DROP TABLE \(quote(table.name))")
            }
            digest = .empty
        case .delta:
            digest = current.contentDigest
        }
        for statement in update.schemaStatements {
            try database.execute(statement)
        }

        let touched = try TouchedRows(patchset: update.patchset, database: database)
        try touched.forEachRow { table, row in digest.remove(table: table, row: row) }
        do {
            try update.patchset.apply(to: database)
        } catch let conflict as PatchsetConflict {
            throw SyncError(
                .digestMismatch,
                "Release \(update.targetRelease) does not fit this replica (\(conflict)). "
                    + "The replica was left at release \(current.release); "
                    + "import a full snapshot to repair it.")
        }
        try touched.forEachRow { table, row in digest.add(table: table, row: row) }

        guard digest == update.contentDigest else {
            throw SyncError(
                .digestMismatch,
                "After applying release \(update.targetRelease) the content did not match "
                    + "what the central office signed. Nothing was changed: the replica is "
                    + "still at release \(current.release). Import a full snapshot to repair it.")
        }
        try updateSearchIndex(documents: update.kind == .snapshot ? nil : touched.searchDocuments)
    }

    private func writeMeta(for update: ReleaseUpdate) throws {
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

/// The rows a patchset touches, found by primary key, so the digest can be
/// updated for exactly those rows before and after the change.
private struct TouchedRows {
    private let lookups: [(table: String, statement: Statement, keys: [[SQLiteValue]])]

    init(patchset: Patchset, database: Database) throws {
        var tables = [String: ContentTable]()
        for table in try database.contentTables() { tables[table.name] = table }
        var keys = [String: [[SQLiteValue]]]()
        try patchset.forEachChange { change in
            guard let table = tables[change.table],
                  table.primaryKeyColumns.count == change.primaryKey.count
            else {
                throw SyncError(
                    .malformed,
                    "The bundle changes a table the replica does not have: \(change.table).")
            }
            keys[change.table, default: []].append(change.primaryKey)
        }
        lookups = try keys.keys.sorted().map { name in
            (name, try database.prepare(tables[name]!.selectByKey), keys[name]!)
        }
    }

    /// The search entries the touched rows feed.
    var searchDocuments: Set<Replica.SearchDocument> {
        var documents = Set<Replica.SearchDocument>()
        for lookup in lookups {
            for key in lookup.keys {
                if let document = Replica.SearchDocument(table: lookup.table, primaryKey: key) {
                    documents.insert(document)
                }
            }
        }
        return documents
    }

    /// Calls `body` with every touched row that exists now.
    func forEachRow(_ body: (String, [SQLiteValue]) throws -> Void) throws {
        for lookup in lookups {
            for key in lookup.keys {
                try lookup.statement.bind(key)
                if try lookup.statement.step() {
                    try body(lookup.table, lookup.statement.row())
                }
            }
        }
    }
}
