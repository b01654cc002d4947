import CSQLite
import Foundation

/// A SQLite session-extension patchset: the row changes that turn one
/// version of a set of tables into another, keyed by primary key.
///
/// See https://sqlite.org/sessionintro.html for the format and its rules.
public struct Patchset: Sendable {
    private let inflation: PatchsetInflation?
    private let complete: Data

    public init(bytes: Data) {
        complete = bytes
        inflation = nil
    }

    /// A patchset inflated from `compressed` on a thread of its own, while
    /// it is being applied; see `PatchsetInflation`.
    init(inflating compressed: Data, expectedSize: Int, name: String) {
        complete = Data()
        inflation = PatchsetInflation(compressed, expectedSize: expectedSize, name: name)
    }

    /// The patchset's bytes, once they are all there.
    ///
    /// - Throws: `SyncError(.malformed)` if they were being inflated and the
    ///   compressed data was damaged.
    public func contents() throws -> Data {
        try inflation?.result() ?? complete
    }

    /// The bytes of a patchset made whole, such as one just computed; for
    /// one whose inflation failed, none.
    public var bytes: Data {
        (try? contents()) ?? Data()
    }

    /// What a patchset does to one row.
    public enum Operation: Sendable {
        case insert, update, delete
    }

    /// One row change as far as the primary key: enough to find the row
    /// before and after the change without reading the other columns.
    public struct Change: Sendable {
        public let table: String
        public let operation: Operation
        public let primaryKey: [SQLiteValue]
    }

    /// Computes the changes that turn the `tables` of the attached schema
    /// `baseSchema` into those of `main`. Both must have the same columns
    /// and primary keys.
    public static func diff(in database: Database, from baseSchema: String, tables: [String])
        throws -> Patchset
    {
        var session: OpaquePointer?
        try database.check(sqlite3session_create(database.handle, "main", &session))
        defer { sqlite3session_delete(session) }
        for table in tables {
            try database.check(sqlite3session_attach(session, table))
            var message: UnsafeMutablePointer<CChar>?
            let rc = sqlite3session_diff(session, baseSchema, table, &message)
            if rc != SQLITE_OK {
                let text = message.map { String(cString: $0) } ?? "diff failed"
                sqlite3_free(message)
                throw SQLiteError(code: rc, message: text, sql: nil)
            }
        }
        var size: Int32 = 0
        var buffer: UnsafeMutableRawPointer?
        try database.check(sqlite3session_patchset(session, &size, &buffer))
        defer { sqlite3_free(buffer) }
        guard let buffer, size > 0 else { return Patchset(bytes: Data()) }
        return Patchset(bytes: Data(bytes: buffer, count: Int(size)))
    }

    /// Calls `body` for each change, in the patchset's order. Throws if the
    /// patchset is malformed.
    public func forEachChange(_ body: (Change) throws -> Void) throws {
        var copy = try contents()
        guard !copy.isEmpty else { return }
        try copy.withUnsafeMutableBytes { raw in
            var iterator: OpaquePointer?
            var rc = sqlite3changeset_start(&iterator, Int32(raw.count), raw.baseAddress)
            guard rc == SQLITE_OK else {
                throw SQLiteError(code: rc, message: "unreadable patchset", sql: nil)
            }
            var bodyError: Error?
            while sqlite3changeset_next(iterator) == SQLITE_ROW {
                do {
                    try body(Self.change(at: iterator!))
                } catch {
                    bodyError = error
                    break
                }
            }
            rc = sqlite3changeset_finalize(iterator)
            if let bodyError { throw bodyError }
            guard rc == SQLITE_OK else {
                throw SQLiteError(code: rc, message: "unreadable patchset", sql: nil)
            }
        }
    }

    /// The tables a patchset changes, as its table headers describe them.
    public struct TableSummary: Equatable, Sendable {
        public let name: String
        public let columnCount: Int
        /// The positions of the primary key's columns, in column order.
        public let primaryKeyColumns: [Int]
        public var changes: Int
    }

    /// Reads only the table headers and counts the changes under each,
    /// which is far cheaper than `forEachChange`: no value is copied out.
    public func tableSummaries() throws -> [TableSummary] {
        var copy = try contents()
        guard !copy.isEmpty else { return [] }
        var summaries = [TableSummary]()
        try copy.withUnsafeMutableBytes { raw in
            var iterator: OpaquePointer?
            var rc = sqlite3changeset_start(&iterator, Int32(raw.count), raw.baseAddress)
            guard rc == SQLITE_OK else {
                throw SQLiteError(code: rc, message: "unreadable patchset", sql: nil)
            }
            var lastName: UnsafePointer<CChar>?
            var failed = false
            while sqlite3changeset_next(iterator) == SQLITE_ROW {
                var name: UnsafePointer<CChar>?
                var columns: Int32 = 0
                var op: Int32 = 0
                var indirect: Int32 = 0
                guard sqlite3changeset_op(iterator, &name, &columns, &op, &indirect) == SQLITE_OK,
                      let name
                else {
                    failed = true
                    break
                }
                // The iterator hands out the same name while it reads the
                // changes of one table.
                if name != lastName || summaries.isEmpty {
                    var flags: UnsafeMutablePointer<UInt8>?
                    guard sqlite3changeset_pk(iterator, &flags, &columns) == SQLITE_OK,
                          let flags
                    else {
                        failed = true
                        break
                    }
                    summaries.append(TableSummary(
                        name: String(cString: name), columnCount: Int(columns),
                        primaryKeyColumns: (0..<Int(columns)).filter { flags[$0] != 0 },
                        changes: 0))
                    lastName = name
                }
                summaries[summaries.count - 1].changes += 1
            }
            rc = sqlite3changeset_finalize(iterator)
            guard rc == SQLITE_OK, !failed else {
                throw SQLiteError(
                    code: rc == SQLITE_OK ? SQLITE_CORRUPT : rc, message: "unreadable patchset",
                    sql: nil)
            }
        }
        return summaries
    }

    private static func change(at iterator: OpaquePointer) throws -> Change {
        var tableName: UnsafePointer<CChar>?
        var columnCount: Int32 = 0
        var op: Int32 = 0
        var indirect: Int32 = 0
        var rc = sqlite3changeset_op(iterator, &tableName, &columnCount, &op, &indirect)
        guard rc == SQLITE_OK, let tableName else {
            throw SQLiteError(code: rc, message: "unreadable patchset change", sql: nil)
        }
        var flags: UnsafeMutablePointer<UInt8>?
        rc = sqlite3changeset_pk(iterator, &flags, &columnCount)
        guard rc == SQLITE_OK, let flags else {
            throw SQLiteError(code: rc, message: "unreadable patchset key", sql: nil)
        }
        let operation: Operation
        switch op {
        case SQLITE_INSERT: operation = .insert
        case SQLITE_DELETE: operation = .delete
        default: operation = .update
        }
        var key = [SQLiteValue]()
        for column in 0..<columnCount where flags[Int(column)] != 0 {
            var value: OpaquePointer?
            // In a patchset an insert carries new values; an update or a
            // delete carries the primary key among its old values.
            rc = operation == .insert
                ? sqlite3changeset_new(iterator, column, &value)
                : sqlite3changeset_old(iterator, column, &value)
            guard rc == SQLITE_OK, let value else {
                throw SQLiteError(code: rc, message: "patchset change without its key", sql: nil)
            }
            key.append(SQLiteValue(value))
        }
        return Change(table: String(cString: tableName), operation: operation, primaryKey: key)
    }

    /// Applies the patchset to `database` inside the caller's transaction.
    /// Any conflict (a row to insert already exists, a row to change or
    /// delete is missing) stops it and throws a `PatchsetConflict`; what was
    /// applied until then is undone by rolling back that transaction, which
    /// the caller must do on any error.
    public func apply(to database: Database) throws {
        precondition(database.isInTransaction, "a patchset is applied inside a transaction")
        let report = ConflictReport()
        let conflictHandler: @convention(c) (UnsafeMutableRawPointer?, Int32, OpaquePointer?)
            -> Int32 = { context, kind, iterator in
                let report = Unmanaged<ConflictReport>.fromOpaque(context!).takeUnretainedValue()
                report.record(kind: kind, iterator: iterator)
                return SQLITE_CHANGESET_ABORT
            }
        let context = Unmanaged.passUnretained(report).toOpaque()
        let rc: Int32
        if let inflation {
            // SQLite reads the bytes as they are inflated.
            let reader = inflation.makeReader()
            rc = withExtendedLifetime(reader) {
                sqlite3changeset_apply_v2_strm(
                    database.handle,
                    { source, buffer, count in
                        Unmanaged<PatchsetInflation.Reader>.fromOpaque(source!)
                            .takeUnretainedValue().read(into: buffer!, count: count!)
                    },
                    Unmanaged.passUnretained(reader).toOpaque(), nil,
                    conflictHandler, context, nil, nil, Self.applyFlags)
            }
            // A damaged payload stops SQLite's reading: that is the error.
            _ = try inflation.result()
        } else {
            guard !complete.isEmpty else { return }
            var copy = complete
            rc = copy.withUnsafeMutableBytes { raw in
                sqlite3changeset_apply_v2(
                    database.handle, Int32(raw.count), raw.baseAddress, nil,
                    conflictHandler, context, nil, nil, Self.applyFlags)
            }
        }
        withExtendedLifetime(report) {}
        if let conflict = report.conflict { throw conflict }
        try database.check(rc)
    }
}

extension Patchset {
    /// Without a savepoint of its own: inside the caller's transaction it
    /// would only make SQLite keep a copy of every page the patchset
    /// changes, to undo what the caller's rollback undoes anyway.
    static let applyFlags = Int32(SQLITE_CHANGESETAPPLY_NOSAVEPOINT)
}

/// Why a patchset could not be applied: the replica's rows are not the ones
/// the patchset was made from.
public struct PatchsetConflict: Error, Sendable, CustomStringConvertible {
    public let table: String
    public let reason: String

    public var description: String { "table \(table): \(reason)" }
}

private final class ConflictReport {
    var conflict: PatchsetConflict?

    func record(kind: Int32, iterator: OpaquePointer?) {
        guard conflict == nil else { return }
        var tableName: UnsafePointer<CChar>?
        var columns: Int32 = 0
        var op: Int32 = 0
        var indirect: Int32 = 0
        var table = "?"
        if let iterator,
           sqlite3changeset_op(iterator, &tableName, &columns, &op, &indirect) == SQLITE_OK,
           let tableName
        {
            table = String(cString: tableName)
        }
        let reason: String
        switch kind {
        case SQLITE_CHANGESET_NOTFOUND: reason = "a row to change is missing"
        case SQLITE_CHANGESET_CONFLICT: reason = "a row to add already exists"
        case SQLITE_CHANGESET_DATA: reason = "a row differs from what was expected"
        case SQLITE_CHANGESET_CONSTRAINT: reason = "a change breaks a constraint"
        default: reason = "conflict \(kind)"
        }
        conflict = PatchsetConflict(table: table, reason: reason)
    }
}
