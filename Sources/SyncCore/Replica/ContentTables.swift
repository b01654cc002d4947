/// A content table as found in a database: its name, and the statement that
/// reads one row by primary key with every column in declared order.
struct ContentTable {
    let name: String
    let primaryKeyColumns: [String]

    var selectByKey: String {
        let condition = primaryKeyColumns.map { "\(quote($0)) = ?" }.joined(separator: " AND ")
        return "SELECT * FROM \(quote(name)) WHERE \(condition)"
    }

    var selectAll: String { "SELECT * FROM \(quote(name))" }
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
            // it is not part of it.
            let columns = try rows("SELECT name, pk FROM pragma_table_info(?)", [.text(name)])
            let key = columns
                .compactMap { row -> (Int64, String)? in
                    guard let position = row[1].integer, position > 0, let column = row[0].text
                    else { return nil }
                    return (position, column)
                }
                .sorted { $0.0 < $1.0 }
                .map(\.1)
            return ContentTable(name: name, primaryKeyColumns: key)
        }
    }
}

extension Database {
    /// The digest of every row of every content table: a full scan, for
    /// `verify` and for the publisher. Applying a release never needs it.
    func contentDigest() throws -> ContentDigest {
        var digest = ContentDigest.empty
        for table in try contentTables() {
            let statement = try prepare(table.selectAll)
            try statement.bind([])
            while try statement.step() {
                digest.add(table: table.name, row: statement.row())
            }
        }
        return digest
    }
}

/// Quotes an SQL identifier.
func quote(_ identifier: String) -> String {
    "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
