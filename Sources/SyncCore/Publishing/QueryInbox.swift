import Foundation

/// The central office's store of visitor queries: batches from centres,
/// opened with the inbox key and loaded into a SQLite database, each batch
/// once however many times it arrives (retried uploads, a USB copy and an
/// upload of the same batch).
public final class QueryInbox {
    public struct IngestReport: Equatable, Sendable {
        public var newBatches = 0
        public var newQueries = 0
        /// Batches already loaded before: retries and second copies.
        public var duplicates = 0
        /// Files that could not be opened, in plain words.
        public var problems: [String] = []
    }

    public struct CentreReport: Equatable, Sendable {
        public var centreID: String
        public var queries: Int
        public var lastHeardAt: String?
        public var byTopic: [String: Int]
        public var byLanguage: [String: Int]
    }

    let database: Database

    public init(path: URL) throws {
        database = try Database(path: path.path)
        try database.execute(
            """
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            CREATE TABLE IF NOT EXISTS batch (
                batch_id TEXT PRIMARY KEY NOT NULL,
                centre_id TEXT NOT NULL,
                sealed_at TEXT NOT NULL,
                received_at TEXT NOT NULL,
                query_count INTEGER NOT NULL
            );
            CREATE TABLE IF NOT EXISTS query (
                id INTEGER PRIMARY KEY,
                batch_id TEXT NOT NULL REFERENCES batch (batch_id),
                centre_id TEXT NOT NULL,
                logged_at TEXT NOT NULL,
                lang TEXT,
                topic TEXT,
                channel TEXT NOT NULL,
                text TEXT NOT NULL,
                converted_from TEXT,
                redactions INTEGER NOT NULL
            );
            CREATE INDEX IF NOT EXISTS query_by_centre ON query (centre_id);
            """)
    }

    /// Loads every `.mrcq` file under `uploads` (an upload folder, or the
    /// `mrc-queries` folder of a stick). A file that cannot be opened is
    /// reported and left where it is; the rest still load.
    public func ingest(uploads: URL, key: InboxKeyPair, now: Date = Date()) throws -> IngestReport {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: uploads.path, isDirectory: &isDirectory),
              isDirectory.boolValue
        else {
            throw SyncError(.sourceMissing, "The upload folder \(uploads.path) does not exist.")
        }
        var report = IngestReport()
        for url in try batchFiles(under: uploads) {
            do {
                let batch = try QueryBatch.open(FileSystem.read(url), name: url.path, inbox: key)
                guard Naming.isValidName(batch.centreID), batch.batchID.count == 32,
                      Data(hexString: batch.batchID) != nil
                else {
                    throw SyncError(.malformed, "\(url.path) names an invalid centre or batch.")
                }
                if try load(batch, receivedAt: now) {
                    report.newBatches += 1
                    report.newQueries += batch.queries.count
                } else {
                    report.duplicates += 1
                }
            } catch let error as SyncError {
                report.problems.append(error.message)
            }
        }
        return report
    }

    /// Loads one batch in one transaction; false if it was already loaded.
    private func load(_ batch: QueryBatch, receivedAt: Date) throws -> Bool {
        try database.writeTransaction {
            try database.run(
                """
                INSERT INTO batch (batch_id, centre_id, sealed_at, received_at, query_count)
                VALUES (?, ?, ?, ?, ?) ON CONFLICT (batch_id) DO NOTHING
                """,
                [.text(batch.batchID), .text(batch.centreID), .text(batch.sealedAt),
                 .text(Timestamp.format(receivedAt)), .integer(Int64(batch.queries.count))])
            guard try database.scalar("SELECT changes()")?.integer == 1 else { return false }
            let insert = try database.prepare(
                """
                INSERT INTO query (batch_id, centre_id, logged_at, lang, topic, channel, text,
                                   converted_from, redactions)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for query in batch.queries {
                try insert.run([
                    .text(batch.batchID), .text(batch.centreID), .text(query.loggedAt),
                    query.lang.map(SQLiteValue.text) ?? .null,
                    query.topic.map(SQLiteValue.text) ?? .null, .text(query.channel),
                    .text(query.text), query.convertedFrom.map(SQLiteValue.text) ?? .null,
                    .integer(Int64(query.redactions)),
                ])
            }
            return true
        }
    }

    /// The batches received within `window` before `now`, for the next
    /// release to acknowledge. Older ones were acknowledged long ago.
    public func acknowledgements(within window: TimeInterval = 180 * 86_400, now: Date = Date())
        throws -> [ContentSet.Acknowledgement]
    {
        try database.rows(
            "SELECT centre_id, batch_id, received_at FROM batch WHERE received_at >= ? ORDER BY 1, 2",
            [.text(Timestamp.format(now.addingTimeInterval(-window)))]
        ).map {
            ContentSet.Acknowledgement(
                centreID: $0[0].text ?? "", batchID: $0[1].text ?? "", receivedAt: $0[2].text ?? "")
        }
    }

    /// Per centre: how many queries, by topic and language, and when the
    /// centre was last heard from.
    public func report() throws -> [CentreReport] {
        var centres = [String: CentreReport]()
        for row in try database.rows(
            "SELECT centre_id, count(*), max(received_at) FROM batch GROUP BY centre_id")
        {
            let id = row[0].text ?? ""
            centres[id] = CentreReport(
                centreID: id, queries: 0, lastHeardAt: row[2].text, byTopic: [:], byLanguage: [:])
        }
        for row in try database.rows(
            """
            SELECT centre_id, coalesce(topic, 'unknown'), coalesce(lang, 'unknown'), count(*)
            FROM query GROUP BY 1, 2, 3
            """)
        {
            let id = row[0].text ?? ""
            let count = Int(row[3].integer ?? 0)
            centres[id]?.queries += count
            centres[id]?.byTopic[row[1].text ?? "unknown", default: 0] += count
            centres[id]?.byLanguage[row[2].text ?? "unknown", default: 0] += count
        }
        return centres.values.sorted { $0.centreID < $1.centreID }
    }

    /// Query texts of one centre, oldest first, for tests and exports.
    public func texts(centreID: String) throws -> [String] {
        try database.rows(
            "SELECT text FROM query WHERE centre_id = ? ORDER BY logged_at, id", [.text(centreID)]
        ).compactMap { $0.first?.text }
    }

    private func batchFiles(under root: URL) throws -> [URL] {
        guard let enumerator = FileManager.default.enumerator(
            at: root, includingPropertiesForKeys: [.isRegularFileKey],
            options: [.skipsHiddenFiles])
        else {
            throw SyncError(.sourceMissing, "\(root.path) cannot be read.")
        }
        var files = [URL]()
        for case let url as URL in enumerator where url.pathExtension == QueryBatch.fileExtension {
            files.append(url)
        }
        return files.sorted { $0.path < $1.path }
    }
}
