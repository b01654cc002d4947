import CSQLite
import Foundation

/// A prepared statement, finalized when the value goes away.
public final class Statement {
    let handle: OpaquePointer
    unowned let database: Database
    public let sql: String

    init(database: Database, sql: String) throws {
        var handle: OpaquePointer?
        let rc = sqlite3_prepare_v2(database.handle, sql, -1, &handle, nil)
        guard rc == SQLITE_OK, let handle else {
            sqlite3_finalize(handle)
            throw database.error(rc, sql: sql)
        }
        self.handle = handle
        self.database = database
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Binds `values` to the parameters 1…n, after clearing earlier ones.
    public func bind(_ values: [SQLiteValue]) throws {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (offset, value) in values.enumerated() {
            try bind(value, at: Int32(offset + 1))
        }
    }

    private func bind(_ value: SQLiteValue, at index: Int32) throws {
        let rc: Int32
        switch value {
        case .null:
            rc = sqlite3_bind_null(handle, index)
        case .integer(let number):
            rc = sqlite3_bind_int64(handle, index, number)
        case .real(let number):
            rc = sqlite3_bind_double(handle, index, number)
        case .text(let string):
            // An explicit length keeps text after a NUL character, which
            // a NUL-terminated bind would silently drop.
            rc = sqlite3_bind_text(
                handle, index, string, Int32(string.utf8.count), mrc_sqlite_transient())
        case .blob(let data):
            rc = data.withUnsafeBytes { raw in
                sqlite3_bind_blob64(
                    handle, index, raw.baseAddress, sqlite3_uint64(raw.count),
                    mrc_sqlite_transient())
            }
        }
        try database.check(rc, sql: sql)
    }

    /// Advances to the next row; false when the statement is done.
    @discardableResult
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            sqlite3_reset(handle)
            throw database.error(rc, sql: sql)
        }
    }

    /// Runs the statement to completion, ignoring any rows.
    public func run(_ values: [SQLiteValue] = []) throws {
        try bind(values)
        while try step() {}
        sqlite3_reset(handle)
    }

    public var columnCount: Int { Int(sqlite3_column_count(handle)) }

    public func value(at column: Int) -> SQLiteValue {
        SQLiteValue(sqlite3_column_value(handle, Int32(column)))
    }

    public func row() -> [SQLiteValue] {
        (0..<columnCount).map(value(at:))
    }

    /// All rows of the statement with `values` bound.
    public func rows(_ values: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        try bind(values)
        var result = [[SQLiteValue]]()
        while try step() { result.append(row()) }
        sqlite3_reset(handle)
        return result
    }
}
