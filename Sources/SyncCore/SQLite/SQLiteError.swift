import CSQLite

/// A failed SQLite call: the primary result code, SQLite's own message and
/// the statement that failed, if any. Bound arguments are never included,
/// so visitor queries cannot leak into logs through an error.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let message: String
    public let sql: String?

    public var description: String {
        if let sql { return "SQLite error \(code): \(message) (in \(sql))" }
        return "SQLite error \(code): \(message)"
    }

    /// True for SQLITE_CORRUPT and SQLITE_NOTADB: the file's pages are
    /// damaged, or it is no database at all.
    public var isCorrupt: Bool {
        let primary = code & 0xff
        return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB
    }

    /// True for SQLITE_BUSY and SQLITE_LOCKED: another connection holds a lock.
    public var isBusy: Bool {
        let primary = code & 0xff
        return primary == SQLITE_BUSY || primary == SQLITE_LOCKED
    }
}
