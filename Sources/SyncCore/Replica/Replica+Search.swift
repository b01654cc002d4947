import Foundation

/// Full-text search over the replica's content with SQLite FTS5.
///
/// Burmese is written without spaces between words, so a word tokenizer
/// would see a whole sentence as one token and find nothing. The index uses
/// FTS5's trigram tokenizer instead: any run of three or more characters
/// matches wherever it occurs, in Burmese, English, agency names and licence
/// numbers alike.
///
/// The index is the replica's own (`local_search`, with `local_search_doc`
/// mapping rows to records), kept in step inside the transaction that
/// applies a release, for exactly the records the release touched.
extension Replica {
    public struct SearchHit: Equatable, Sendable {
        public var kind: String
        public var recordID: String
        /// The record's title or name in the requested language, if any.
        public var title: String
        /// Lower is better.
        public var score: Double
    }

    static let searchSchema = """
        CREATE TABLE IF NOT EXISTS local_search_doc (
            docid INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            record_id TEXT NOT NULL,
            field TEXT NOT NULL,
            lang TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS local_search_doc_record ON local_search_doc (kind, record_id);
        CREATE VIRTUAL TABLE IF NOT EXISTS local_search USING fts5 (
            value, tokenize = 'trigram'
        );
        """

    /// How much a match in each field counts; titles and names win.
    static let fieldWeights: [String: Double] = [
        "title": 4, "name": 4, "licence_number": 4, "summary": 2, "phones": 2,
    ]

    /// Re-indexes the records whose rows a release touched, or everything
    /// after a snapshot.
    func updateSearchIndex(records: Set<RecordKey>?) throws {
        try database.execute(Self.searchSchema)
        guard let records else {
            try rebuildSearchIndex()
            return
        }
        let indexer = try SearchIndexer(database: database)
        for record in records.sorted(by: { ($0.kind, $0.id) < ($1.kind, $1.id) }) {
            try indexer.reindex(record)
        }
    }

    /// Fills the index from scratch with a few set-wide statements, which
    /// is far faster than record by record for a whole snapshot.
    private func rebuildSearchIndex() throws {
        try database.execute(
            """
            DELETE FROM local_search;
            DELETE FROM local_search_doc;
            INSERT INTO local_search_doc (kind, record_id, field, lang)
                SELECT kind, record_id, field, lang FROM text;
            INSERT INTO local_search_doc (kind, record_id, field, lang)
                SELECT 'agency', id, 'licence_number', 'und' FROM agency;
            INSERT INTO local_search_doc (kind, record_id, field, lang)
                SELECT 'contact', id, 'phones', 'und' FROM contact;
            INSERT INTO local_search (rowid, value)
                SELECT d.docid, t.value FROM local_search_doc d
                JOIN text t ON t.kind = d.kind AND t.record_id = d.record_id
                    AND t.field = d.field AND t.lang = d.lang;
            INSERT INTO local_search (rowid, value)
                SELECT d.docid, a.licence_number FROM local_search_doc d
                JOIN agency a ON d.kind = 'agency' AND d.field = 'licence_number' AND a.id = d.record_id;
            INSERT INTO local_search (rowid, value)
                SELECT d.docid, c.phones FROM local_search_doc d
                JOIN contact c ON d.kind = 'contact' AND d.field = 'phones' AND c.id = d.record_id;
            """)
    }

    /// A record of the content, as the search index names it.
    struct RecordKey: Hashable {
        let kind: String
        let id: String

        /// The record a changed row belongs to, if it is one we index.
        init?(table: String, primaryKey: [SQLiteValue]) {
            switch table {
            case "text":
                guard primaryKey.count == 4, let kind = primaryKey[0].text,
                      let id = primaryKey[1].text
                else { return nil }
                self.kind = kind
                self.id = id
            case "agency", "contact":
                guard let id = primaryKey.first?.text else { return nil }
                self.kind = table
                self.id = id
            default:
                return nil
            }
        }
    }

    /// The best matches for `text`, best first, one per record.
    ///
    /// - Parameters:
    ///   - lang: only texts in this language (plus numbers) count, if set.
    public func search(_ text: String, lang: String? = nil, limit: Int = 10) throws -> [SearchHit] {
        try storage("search the content") {
            let hasIndex = try database.scalar(
                "SELECT 1 FROM sqlite_schema WHERE name = 'local_search'") != nil
            guard hasIndex, let match = Self.matchExpression(text) else { return [] }
            var best = [String: SearchHit]()
            let rows = try database.rows(
                """
                SELECT d.kind, d.record_id, d.field, d.lang, bm25(local_search)
                FROM local_search JOIN local_search_doc d ON d.docid = local_search.rowid
                WHERE local_search MATCH ?
                """, [.text(match)])
            for row in rows {
                guard let kind = row[0].text, let id = row[1].text, let field = row[2].text,
                      let docLang = row[3].text, case .real(let rank) = row[4]
                else { continue }
                if let lang, docLang != lang, docLang != "und" { continue }
                let score = rank * (Self.fieldWeights[field] ?? 1)
                let key = "\(kind)\u{0}\(id)"
                if best[key].map({ score < $0.score }) ?? true {
                    best[key] = SearchHit(kind: kind, recordID: id, title: "", score: score)
                }
            }
            var hits = best.values.sorted {
                ($0.score, $0.kind, $0.recordID) < ($1.score, $1.kind, $1.recordID)
            }
            hits = Array(hits.prefix(limit))
            for index in hits.indices {
                hits[index].title = try title(of: hits[index], lang: lang ?? "en")
            }
            return hits
        }
    }

    private func title(of hit: SearchHit, lang: String) throws -> String {
        let rows = try database.rows(
            """
            SELECT value FROM text WHERE kind = ? AND record_id = ? AND field IN ('title', 'name')
            ORDER BY lang = ? DESC, lang = 'en' DESC LIMIT 1
            """, [.text(hit.kind), .text(hit.recordID), .text(lang)])
        return rows.first?.first?.text ?? hit.recordID
    }

    /// An FTS5 query that needs every word of three or more characters;
    /// nil when no word is long enough for the trigram index.
    static func matchExpression(_ text: String) -> String? {
        // Licence numbers such as MOL/OEA-123/2024 stay one word.
        let words = text
            .split(whereSeparator: {
                $0.isWhitespace || ($0.isPunctuation && $0 != "/" && $0 != "-")
            })
            .map(String.init)
            .filter { $0.unicodeScalars.count >= 3 }
        guard !words.isEmpty else { return nil }
        return words.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
            .joined(separator: " AND ")
    }
}

/// Re-indexes single records with statements prepared once per release.
private final class SearchIndexer {
    private let docs, deleteText, deleteDocs, texts, licence, phones, insertDoc, insertText:
        Statement

    init(database: Database) throws {
        docs = try database.prepare(
            "SELECT docid FROM local_search_doc WHERE kind = ? AND record_id = ?")
        deleteText = try database.prepare("DELETE FROM local_search WHERE rowid = ?")
        deleteDocs = try database.prepare(
            "DELETE FROM local_search_doc WHERE kind = ? AND record_id = ?")
        texts = try database.prepare(
            "SELECT field, lang, value FROM text WHERE kind = ? AND record_id = ?")
        licence = try database.prepare("SELECT licence_number FROM agency WHERE id = ?")
        phones = try database.prepare("SELECT phones FROM contact WHERE id = ?")
        insertDoc = try database.prepare(
            "INSERT INTO local_search_doc (kind, record_id, field, lang) VALUES (?, ?, ?, ?)")
        insertText = try database.prepare(
            "INSERT INTO local_search (rowid, value) VALUES (last_insert_rowid(), ?)")
    }

    /// Drops a record's entries and adds its current texts, and for
    /// agencies and contacts the numbers people search by.
    func reindex(_ record: Replica.RecordKey) throws {
        let key: [SQLiteValue] = [.text(record.kind), .text(record.id)]
        for row in try docs.rows(key) {
            try deleteText.run([row[0]])
        }
        try deleteDocs.run(key)

        var fields = try texts.rows(key).map {
            ($0[0].text ?? "", $0[1].text ?? "", $0[2].text ?? "")
        }
        let number = record.kind == "agency" ? licence : record.kind == "contact" ? phones : nil
        if let number, let value = try number.rows([.text(record.id)]).first?.first?.text {
            fields.append((record.kind == "agency" ? "licence_number" : "phones", "und", value))
        }
        for (field, lang, value) in fields {
            try insertDoc.run([.text(record.kind), .text(record.id), .text(field), .text(lang)])
            try insertText.run([.text(value)])
        }
    }
}
