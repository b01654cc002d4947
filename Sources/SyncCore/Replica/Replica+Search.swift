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
/// mapping entries to records), kept in step inside the transaction that
/// applies a release, for exactly the texts and numbers the release
/// touched.
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

    /// Re-indexes the texts and numbers whose rows a release touched, or
    /// everything after a snapshot.
    func updateSearchIndex(documents: Set<SearchDocument>?) throws {
        try database.execute(Self.searchSchema)
        guard let documents else {
            try rebuildSearchIndex()
            return
        }
        try SearchIndexer(database: database).reindex(documents.sorted())
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
        // Filled in one go, the index is many small segments, and every
        // later transaction would pay for merging some of them: the cost
        // of a small delta would grow with the replica. Merged now, once.
        try database.execute("INSERT INTO local_search (local_search) VALUES ('optimize')")
    }

    /// One entry of the search index: one text of a record in one
    /// language, or the number people search an agency or contact by.
    struct SearchDocument: Hashable, Comparable {
        let kind: String
        let recordID: String
        let field: String
        let lang: String

        /// The entry a changed row feeds, if it feeds one.
        init?(table: String, primaryKey: [SQLiteValue]) {
            switch table {
            case "text":
                guard primaryKey.count == 4, let kind = primaryKey[0].text,
                      let id = primaryKey[1].text, let field = primaryKey[2].text,
                      let lang = primaryKey[3].text
                else { return nil }
                (self.kind, recordID, self.field, self.lang) = (kind, id, field, lang)
            case "agency", "contact":
                guard let id = primaryKey.first?.text else { return nil }
                (kind, recordID, lang) = (table, id, "und")
                field = table == "agency" ? "licence_number" : "phones"
            default:
                return nil
            }
        }

        var key: [SQLiteValue] {
            [.text(kind), .text(recordID), .text(field), .text(lang)]
        }

        static func < (lhs: SearchDocument, rhs: SearchDocument) -> Bool {
            (lhs.kind, lhs.recordID, lhs.field, lhs.lang)
                < (rhs.kind, rhs.recordID, rhs.field, rhs.lang)
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

/// Re-indexes single entries with statements prepared once per release.
///
/// FTS5 collects a transaction's changes in memory and writes them out as
/// one segment, unless a change arrives for a rowid at or below one it
/// already holds: then it must write out what it has first. Deleting and
/// re-adding entry after entry would end a tiny segment at every entry,
/// and merging those costs more than the indexing itself. So all old
/// entries go first, in rowid order, and the new ones follow under new,
/// ascending rowids.
private final class SearchIndexer {
    private let find, deleteText, deleteDoc, text, licence, phones, insertDoc, insertText:
        Statement

    init(database: Database) throws {
        find = try database.prepare(
            """
            SELECT docid FROM local_search_doc
            WHERE kind = ? AND record_id = ? AND field = ? AND lang = ?
            """)
        deleteText = try database.prepare("DELETE FROM local_search WHERE rowid = ?")
        deleteDoc = try database.prepare("DELETE FROM local_search_doc WHERE docid = ?")
        text = try database.prepare(
            "SELECT value FROM text WHERE kind = ? AND record_id = ? AND field = ? AND lang = ?")
        licence = try database.prepare("SELECT licence_number FROM agency WHERE id = ?")
        phones = try database.prepare("SELECT phones FROM contact WHERE id = ?")
        insertDoc = try database.prepare(
            "INSERT INTO local_search_doc (kind, record_id, field, lang) VALUES (?, ?, ?, ?)")
        insertText = try database.prepare(
            "INSERT INTO local_search (rowid, value) VALUES (last_insert_rowid(), ?)")
    }

    /// Replaces the entries of `documents` with their current values;
    /// an entry whose row is gone is only removed.
    func reindex(_ documents: [Replica.SearchDocument]) throws {
        var docids = [Int64]()
        for document in documents {
            docids += try find.rows(document.key).compactMap { $0.first?.integer }
        }
        for docid in docids.sorted() {
            try deleteText.run([.integer(docid)])
            try deleteDoc.run([.integer(docid)])
        }
        for document in documents {
            guard let value = try currentValue(of: document) else { continue }
            try insertDoc.run(document.key)
            try insertText.run([.text(value)])
        }
    }

    private func currentValue(of document: Replica.SearchDocument) throws -> String? {
        let rows: [[SQLiteValue]]
        switch (document.kind, document.field) {
        case ("agency", "licence_number"): rows = try licence.rows([.text(document.recordID)])
        case ("contact", "phones"): rows = try phones.rows([.text(document.recordID)])
        default: rows = try text.rows(document.key)
        }
        return rows.first?.first?.text
    }
}
