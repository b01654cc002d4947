import Foundation

extension QueryLog {
    /// A sealed batch waiting for the central office's acknowledgement.
    public struct StoredBatch: Equatable, Sendable {
        public var id: String
        public var sealedAt: String
        public var queryCount: Int
        public var body: Data
        public var exportedAt: String?
        public var uploadedAt: String?
    }

    /// The most queries one batch holds, which keeps a batch far below the
    /// upload size a server accepts (16 MiB in deploy/nginx).
    static let batchLimit = 5_000

    /// Seals up to `batchLimit` pending queries, oldest first, into one new
    /// batch, encrypted to the central office, in one transaction: after a
    /// crash the queries are either still pending or all in the batch.
    /// Returns nil when nothing is pending.
    @discardableResult
    public func seal(centreID: String, inbox: InboxPublicKey, at date: Date = Date()) throws
        -> StoredBatch?
    {
        try storage {
            try database.writeTransaction {
                let rows = try database.rows(
                    """
                    SELECT id, logged_at, lang, topic, channel, text, converted_from, redactions
                    FROM pending_query ORDER BY id LIMIT ?
                    """, [.integer(Int64(Self.batchLimit))])
                guard let lastID = rows.last?[0].integer else { return nil }
                let batch = QueryBatch(
                    centreID: centreID, batchID: QueryBatch.newID(),
                    sealedAt: Timestamp.format(date),
                    queries: rows.map { row in
                        QueryBatch.Query(
                            loggedAt: row[1].text ?? "", lang: row[2].text, topic: row[3].text,
                            channel: row[4].text ?? "", text: row[5].text ?? "",
                            convertedFrom: row[6].text, redactions: Int(row[7].integer ?? 0))
                    })
                let body = try batch.sealed(to: inbox)
                try database.run(
                    "INSERT INTO sealed_batch (id, sealed_at, query_count, body) VALUES (?, ?, ?, ?)",
                    [.text(batch.batchID), .text(batch.sealedAt), .integer(Int64(rows.count)),
                     .blob(body)])
                try database.run("DELETE FROM pending_query WHERE id <= ?", [.integer(lastID)])
                CrashPoint.sealing.reach()
                return StoredBatch(
                    id: batch.batchID, sealedAt: batch.sealedAt, queryCount: rows.count, body: body,
                    exportedAt: nil, uploadedAt: nil)
            }
        }
    }

    /// Batches not yet acknowledged, oldest first.
    public func unacknowledgedBatches() throws -> [StoredBatch] {
        try storage {
            try database.rows(
                """
                SELECT id, sealed_at, query_count, body, exported_at, uploaded_at
                FROM sealed_batch ORDER BY rowid
                """
            ).map { row in
                var body = Data()
                if case .blob(let data) = row[3] { body = data }
                return StoredBatch(
                    id: row[0].text ?? "", sealedAt: row[1].text ?? "",
                    queryCount: Int(row[2].integer ?? 0), body: body,
                    exportedAt: row[4].text, uploadedAt: row[5].text)
            }
        }
    }

    /// Deletes the batches the central office has confirmed; returns how
    /// many were still here.
    @discardableResult
    public func acknowledge(_ ids: [String]) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try storage {
            try database.writeTransaction {
                var deleted = 0
                let statement = try database.prepare("DELETE FROM sealed_batch WHERE id = ?")
                for id in ids {
                    try statement.run([.text(id)])
                    deleted += Int(try database.scalar("SELECT changes()")?.integer ?? 0)
                }
                return deleted
            }
        }
    }

    /// Records that a batch was uploaded and the server answered 2xx, which
    /// acknowledges it: the batch is deleted.
    func markUploaded(_ id: String, at date: Date) throws {
        try storage {
            try database.writeTransaction {
                try database.run("DELETE FROM sealed_batch WHERE id = ?", [.text(id)])
                try database.run(
                    "INSERT OR REPLACE INTO log_meta (key, value) VALUES ('last_upload_at', ?)",
                    [.text(Timestamp.format(date))])
            }
        }
    }

    func markExported(_ id: String, at date: Date) throws {
        try storage {
            try database.run(
                "UPDATE sealed_batch SET exported_at = ? WHERE id = ?",
                [.text(Timestamp.format(date)), .text(id)])
        }
    }
}
