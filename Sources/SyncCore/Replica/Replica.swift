import Foundation

/// The centre's local copy of the published content: a SQLite database in
/// WAL mode that changes only by whole releases.
///
/// Besides the content tables, which bundles create and fill, the replica
/// keeps one table of its own, `replica_meta`, with the channel, release,
/// publication time and content digest, all written in the same transaction
/// as the content they describe.
public final class Replica {
    public static let fileName = "replica.sqlite"

    public let url: URL
    let database: Database

    private init(url: URL, database: Database) {
        self.url = url
        self.database = database
    }

    /// Opens the replica for applying releases, creating it if needed.
    public static func openForWriting(at url: URL) throws -> Replica {
        do {
            let database = try Database(path: url.path, mode: .readWriteCreate)
            database.setBusyTimeout(milliseconds: 5_000)
            try database.execute(
                """
                PRAGMA journal_mode = WAL;
                PRAGMA journal_size_limit = 4194304;
                PRAGMA synchronous = FULL;
                CREATE TABLE IF NOT EXISTS replica_meta (
                    key TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                ) WITHOUT ROWID;
                """)
            database.persistWriteAheadLog()
            return Replica(url: url, database: database)
        } catch let error as SQLiteError {
            throw failure("open the replica", url, error)
        }
    }

    /// Opens the replica without any write access, or returns nil if there
    /// is none yet. Reading never waits for a writer: in WAL mode a reader
    /// sees the last committed release while a new one is being applied.
    public static func openReadOnly(at url: URL) throws -> Replica? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            // Writers keep the -wal file for good. Without one, no writer
            // has opened this copy (say, one restored from a backup), and a
            // reader would have to create it; reading the file as immutable
            // creates nothing.
            let hasLog = FileManager.default.fileExists(atPath: url.path + "-wal")
            let path = hasLog ? url.path : immutableURI(url)
            let database = try Database(path: path, mode: .readOnly)
            // A reader waits only while a writer sets up the WAL index after
            // opening, which takes milliseconds; it never waits for, nor
            // holds up, a transaction.
            database.setBusyTimeout(milliseconds: 2_000)
            return Replica(url: url, database: database)
        } catch let error as SQLiteError {
            throw failure("read the replica", url, error)
        }
    }

    private static func immutableURI(_ url: URL) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#")
        let path = url.path.addingPercentEncoding(withAllowedCharacters: allowed) ?? url.path
        return "file:\(path)?immutable=1"
    }

    /// Which release the replica holds.
    public func info() throws -> ReplicaInfo {
        try storage("read the replica") {
            let hasMeta = try database.scalar(
                "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'replica_meta'")
            guard hasMeta != nil else { return .empty }
            var values = [String: String]()
            for row in try database.rows("SELECT key, value FROM replica_meta") {
                if let key = row[0].text, let value = row[1].text { values[key] = value }
            }
            return ReplicaInfo(
                channel: values["channel"],
                release: values["release"].flatMap { Int($0) } ?? 0,
                publishedAt: values["published_at"].flatMap(Timestamp.parse),
                appliedAt: values["applied_at"].flatMap(Timestamp.parse),
                schemaVersion: values["schema_version"].flatMap { Int($0) } ?? 0,
                contentDigest: values["content_digest"].flatMap { ContentDigest(hex: $0) } ?? .empty)
        }
    }

    /// Recomputes the content digest from every row, for `verify`; the
    /// apply path never needs this.
    public func computeDigest() throws -> ContentDigest {
        try storage("read the replica") {
            try database.readTransaction { try database.contentDigest() }
        }
    }

    /// SQLite's own consistency check; an empty array means no problems.
    public func integrityProblems() throws -> [String] {
        try storage("check the replica") {
            let messages = try database.rows("PRAGMA integrity_check").compactMap { $0.first?.text }
            return messages == ["ok"] ? [] : messages
        }
    }

    /// Number of rows in each content table, for `status` and tests.
    public func rowCounts() throws -> [String: Int] {
        try storage("read the replica") {
            var counts = [String: Int]()
            for table in try database.contentTables() {
                let count = try database.scalar("SELECT count(*) FROM \(quote(table.name))")
                counts[table.name] = Int(count?.integer ?? 0)
            }
            return counts
        }
    }

    /// Runs a read-only query on the content, for tools and tests.
    public func rows(_ sql: String, _ values: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        try storage("read the replica") { try database.rows(sql, values) }
    }

    func storage<T>(_ action: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SQLiteError {
            throw Self.failure(action, url, error)
        }
    }

    /// What staff can do about a failed SQLite call on the replica. Damaged
    /// pages count as content that no longer matches its release: the
    /// caller records that the replica needs a snapshot, which
    /// `rebuild(at:applying:channel:keepGoing:)` then puts in a new file.
    static func failure(_ action: String, _ url: URL, _ error: SQLiteError) -> SyncError {
        if error.isBusy {
            return SyncError(.busy, "Could not \(action): the replica is busy. Try again shortly.")
        }
        if error.isCorrupt {
            return SyncError(
                .digestMismatch,
                "Could not \(action): the local content database \(url.path) is damaged "
                    + "(\(error.message)). Nothing was changed. Import a full snapshot, of the "
                    + "installed release or a newer one, to repair it.")
        }
        return SyncError(.storage, "Could not \(action) \(url.path): \(error.message).")
    }
}
