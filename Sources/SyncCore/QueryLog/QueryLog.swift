import Foundation

/// What visitors asked at this centre, personal details removed, kept in
/// its own SQLite database (`queries.sqlite`) until the central office has
/// it.
///
/// A query is pending until it is sealed into a batch; a batch is an
/// immutable, encrypted file that is uploaded or carried on a USB stick and
/// deleted once the central office acknowledges it. Plain text is kept only
/// while a query is pending.
public final class QueryLog {
    public static let fileName = "queries.sqlite"

    /// Where a question was asked.
    public enum Channel: String, Sendable, CaseIterable {
        case desk, kiosk, phone
    }

    /// A query as stored, after scrubbing and conversion.
    public struct Recorded: Equatable, Sendable {
        public var id: Int64
        public var text: String
        public var redactions: Int
        /// "zawgyi" when the text arrived in Zawgyi and was converted.
        public var convertedFrom: String?
    }

    public struct Summary: Equatable, Sendable {
        public var pending: Int
        public var oldestPendingAt: String?
        public var unacknowledgedBatches: Int
        public var lastUploadAt: String?
    }

    let database: Database
    public let url: URL

    private init(database: Database, url: URL) {
        self.database = database
        self.url = url
    }

    /// Opens the log for writing, creating it if needed.
    public static func open(at url: URL) throws -> QueryLog {
        do {
            let database = try Database(path: url.path, mode: .readWriteCreate)
            database.setBusyTimeout(milliseconds: 5_000)
            try database.execute(
                """
                PRAGMA journal_mode = WAL;
                PRAGMA synchronous = FULL;
                CREATE TABLE IF NOT EXISTS pending_query (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    logged_at TEXT NOT NULL,
                    lang TEXT,
                    topic TEXT,
                    channel TEXT NOT NULL,
                    text TEXT NOT NULL,
                    converted_from TEXT,
                    redactions INTEGER NOT NULL
                );
                CREATE TABLE IF NOT EXISTS sealed_batch (
                    id TEXT PRIMARY KEY NOT NULL,
                    sealed_at TEXT NOT NULL,
                    query_count INTEGER NOT NULL,
                    body BLOB NOT NULL,
                    exported_at TEXT,
                    uploaded_at TEXT
                );
                CREATE TABLE IF NOT EXISTS log_meta (
                    key TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                ) WITHOUT ROWID;
                """)
            database.persistWriteAheadLog()
            return QueryLog(database: database, url: url)
        } catch let error as SQLiteError {
            throw SyncError(.storage, "Could not open the query log \(url.path): \(error.message).")
        }
    }

    /// Opens the log read-only, or returns nil if there is none yet.
    public static func openReadOnly(at url: URL) throws -> QueryLog? {
        guard FileManager.default.fileExists(atPath: url.path),
              FileManager.default.fileExists(atPath: url.path + "-wal")
        else { return nil }
        do {
            let database = try Database(path: url.path, mode: .readOnly)
            database.setBusyTimeout(milliseconds: 2_000)
            return QueryLog(database: database, url: url)
        } catch let error as SQLiteError {
            throw SyncError(.storage, "Could not read the query log \(url.path): \(error.message).")
        }
    }

    /// Records one question. Personal details are removed and Zawgyi text
    /// converted before anything is written; when this returns, the query
    /// is on disk.
    @discardableResult
    public func record(
        _ text: String, lang: String?, topic: String?, channel: Channel, at date: Date = Date()
    ) throws -> Recorded {
        let normalized = Zawgyi.normalize(Self.withoutControlCharacters(text))
        let scrubbed = Scrubber.scrub(normalized.text)
        let lang = lang.map(Self.withoutControlCharacters)
        let topic = topic.map(Self.withoutControlCharacters)
        let stored = scrubbed.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !stored.isEmpty else {
            throw SyncError(.usage, "The question is empty.")
        }
        let convertedFrom = normalized.wasZawgyi ? "zawgyi" : nil
        let id: Int64 = try storage {
            try database.run(
                """
                INSERT INTO pending_query
                    (logged_at, lang, topic, channel, text, converted_from, redactions)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(Timestamp.format(date)), lang.map(SQLiteValue.text) ?? .null,
                 topic.map(SQLiteValue.text) ?? .null, .text(channel.rawValue), .text(stored),
                 convertedFrom.map(SQLiteValue.text) ?? .null, .integer(Int64(scrubbed.redactions))])
            return try database.scalar("SELECT last_insert_rowid()")?.integer ?? 0
        }
        return Recorded(
            id: id, text: stored, redactions: scrubbed.redactions, convertedFrom: convertedFrom)
    }

    /// Control characters (a NUL, an escape, a line break in a topic) have
    /// no place in a question and would garble reports; each becomes a
    /// space, except line breaks and tabs inside the question itself.
    static func withoutControlCharacters(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let isControl = scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value)
            out.append(isControl && scalar != "\n" && scalar != "\t" ? " " : scalar)
        }
        return String(out)
    }

    public func summary() throws -> Summary {
        try storage {
            let pending = try database.rows(
                "SELECT count(*), min(logged_at) FROM pending_query").first ?? []
            let batches = try database.scalar("SELECT count(*) FROM sealed_batch")
            let lastUpload = try database.scalar(
                "SELECT value FROM log_meta WHERE key = 'last_upload_at'")
            return Summary(
                pending: Int(pending.first?.integer ?? 0),
                oldestPendingAt: pending.count > 1 ? pending[1].text : nil,
                unacknowledgedBatches: Int(batches?.integer ?? 0),
                lastUploadAt: lastUpload?.text)
        }
    }

    func storage<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SQLiteError {
            if error.isBusy {
                throw SyncError(.busy, "The query log is busy; try again in a moment.")
            }
            throw SyncError(.storage, "The query log \(url.path) failed: \(error.message).")
        }
    }
}
