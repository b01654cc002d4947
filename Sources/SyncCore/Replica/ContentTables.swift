import CSQLite

/// A content table as found in a database: its name, its columns and
/// which of them make up the primary key.
struct ContentTable {
    let name: String
    let columnCount: Int
    /// The positions of the primary key's columns, in column order.
    let primaryKeyPositions: [Int]

    var selectAll: String { "SELECT * FROM \(quote(name))" }

    /// Whether a patchset's changes under `summary` address rows of this
    /// table the way SQLite will apply them: same columns, same key.
    func matches(_ summary: Patchset.TableSummary) -> Bool {
        summary.name == name && summary.columnCount == columnCount
            && summary.primaryKeyColumns == primaryKeyPositions
    }
}

extension Database {
    /// The content tables of the `main` schema, sorted by name.
    func contentTables() throws -> [ContentTable] {
        let names = try rows(
            """
            SELECT name FROM sqlite_schema
            WHERE type = 'table'
              AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
              AND name NOT LIKE 'replica\\_%' ESCAPE '\\'
              AND name NOT LIKE 'local\\_%' ESCAPE '\\'
            ORDER BY name
            """
        ).compactMap { $0.first?.text }
        return try names.map { name in
            // table_info lists pk as the column's position in the key, 0 if
            // it is not part of it; patchsets flag key columns in column
            // order, whatever their order in the key.
            let columns = try rows("SELECT cid, pk FROM pragma_table_info(?)", [.text(name)])
            let key = columns.compactMap { row -> Int? in
                guard let column = row[0].integer, let position = row[1].integer, position > 0
                else { return nil }
                return Int(column)
            }
            return ContentTable(
                name: name, columnCount: columns.count, primaryKeyPositions: key.sorted())
        }
    }
}

extension Database {
    /// The digest of every row of every content table: a full scan, for
    /// `verify` and for the publisher. Applying a release never needs it.
    func contentDigest() throws -> ContentDigest {
        Sodium.ensureInitialized()
        var digest = ContentDigest.empty
        let encoder = RowEncoder()
        let hash = UnsafeMutableRawBufferPointer.allocate(
            byteCount: ContentDigest.byteCount, alignment: 8)
        defer { hash.deallocate() }
        for table in try contentTables() {
            let statement = try prepare(table.selectAll)
            let prefix = RowEncoder.prefix(table: table.name)
            let columns = sqlite3_column_count(statement.handle)
            try statement.bind([])
            while try statement.step() {
                encoder.appendRow(prefix: prefix, columns: columns) {
                    sqlite3_column_value(statement.handle, $0)
                }
                encoder.hashAndEmpty(into: hash)
                digest.add(hash: UnsafeRawBufferPointer(hash))
            }
        }
        return digest
    }
}

/// Quotes an SQL identifier.
func quote(_ identifier: String) -> String {
    "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
