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
/// mapping entries to records). It is brought up to a release in a
/// transaction of its own, right after the release's: re-indexing the texts
/// of a large release takes several times as long as applying it, and
/// neither the new content nor a crash should wait for that. `replica_meta`
/// records the release the index holds (`search_release`), written in the
/// same transaction as the index. Until the index catches up, a changed
/// text is found by its old words, and a hit on a record the release
/// removed is dropped; after a crash in between, the next writer rebuilds
/// the index.
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

    static let searchReleaseKey = "search_release"

    /// Whether the search index lags behind the installed release.
    public func searchIndexIsBehind() throws -> Bool {
        try storage("read the replica") {
            try database.readTransaction { try searchState().isBehind }
        }
    }

    /// Brings the search index up to the installed release, in a
    /// transaction of its own.
    ///
    /// - Parameters:
    ///   - update: the release just applied, if known. A delta from the
    ///     release the index holds re-indexes only the texts and numbers
    ///     it touched; anything else rebuilds the whole index.
    ///   - keepGoing: asked often; false stops and rolls back, and the
    ///     index stays where it was.
    /// - Returns: false if the index was already up to date.
    @discardableResult
    public func updateSearchIndex(after update: ReleaseUpdate? = nil,
                                  keepGoing: () -> Bool = { true }) throws -> Bool
    {
        var changed = false
        try stoppableWrite(
            "update the search index", keepGoing: keepGoing,
            stopped: "Updating the search index was stopped before it finished; "
                + "it is done again on the next start."
        ) {
            let state = try searchState()
            guard state.isBehind else { return }
            try database.execute(Self.searchSchema)
            if let update, update.kind == .delta, state.hasIndex,
               update.targetRelease == state.release,
               update.baseRelease == state.indexedRelease
            {
                let documents = try SearchDocument.touched(by: update.patchset)
                try SearchIndexer(database: database).reindex(documents.sorted())
            } else {
                try rebuildSearchIndex()
            }
            try database.run(
                "INSERT OR REPLACE INTO replica_meta (key, value) VALUES (?, ?)",
                [.text(Self.searchReleaseKey), .text(String(state.release))])
            CrashPoint.indexing.reach()
            changed = true
        }
        return changed
    }

    private struct SearchState {
        var release: Int
        /// Nil for a replica from before the index was kept up separately,
        /// whose index was always in step.
        var indexedRelease: Int?
        var hasIndex: Bool

        var isBehind: Bool {
            guard release > 0 else { return false }
            return !hasIndex || (indexedRelease.map { $0 != release } ?? false)
        }
    }

    private func searchState() throws -> SearchState {
        let info = try info()
        guard info.release > 0 else {
            return SearchState(release: 0, indexedRelease: nil, hasIndex: false)
        }
        let indexed = try database.scalar(
            "SELECT value FROM replica_meta WHERE key = ?", [.text(Self.searchReleaseKey)])
        let hasIndex = try database.scalar(
            "SELECT 1 FROM sqlite_schema WHERE name = 'local_search'") != nil
        return SearchState(
            release: info.release, indexedRelease: indexed?.text.flatMap { Int($0) },
            hasIndex: hasIndex)
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

        /// The entries fed by the rows a patchset changes.
        static func touched(by patchset: Patchset) throws -> Set<SearchDocument> {
            var documents = Set<SearchDocument>()
            try patchset.forEachChange { change in
                let document = SearchDocument(table: change.table, primaryKey: change.primaryKey)
                if let document { documents.insert(document) }
            }
            return documents
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
            let ranked = best.values.sorted {
                ($0.score, $0.kind, $0.recordID) < ($1.score, $1.kind, $1.recordID)
            }
            // An entry the index has not caught up with may name a record
            // the installed release removed.
            let exists = try database.prepare(
                "SELECT 1 FROM text WHERE kind = ? AND record_id = ? LIMIT 1")
            var hits = [SearchHit]()
            for var hit in ranked where hits.count < limit {
                guard try !exists.rows([.text(hit.kind), .text(hit.recordID)]).isEmpty
                else { continue }
                hit.title = try title(of: hit, lang: lang ?? "en")
                hits.append(hit)
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
