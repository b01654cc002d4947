import CSQLite
import Foundation

/// An open SQLite connection, closed when the value goes away.
///
/// Every result code passes through `check`, which turns failures into a
/// `SQLiteError` carrying SQLite's message and the statement.
public final class Database {
    public enum Mode: Sendable {
        /// Opens an existing file without any write access; creates nothing.
        case readOnly
        case readWrite
        case readWriteCreate
    }

    let handle: OpaquePointer
    public let path: String

    /// Opens the database at `path`; ":memory:" gives a private in-memory one.
    public init(path: String, mode: Mode = .readWriteCreate) throws {
        var flags = SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        switch mode {
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        case .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .readWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        }
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            // A handle is returned even when opening fails and must be closed.
            sqlite3_close_v2(handle)
            throw SQLiteError(code: rc, message: message, sql: nil)
        }
        self.handle = handle
        self.path = path
        sqlite3_extended_result_codes(handle, 1)
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    func error(_ rc: Int32, sql: String?) -> SQLiteError {
        SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }

    func check(_ rc: Int32, sql: String? = nil) throws {
        guard rc == SQLITE_OK else { throw error(rc, sql: sql) }
    }

    /// Runs one or more statements that take no arguments.
    public func execute(_ sql: String) throws {
        try check(sqlite3_exec(handle, sql, nil, nil, nil), sql: sql)
    }

    public func prepare(_ sql: String) throws -> Statement {
        try Statement(database: self, sql: sql)
    }

    /// Runs one statement with arguments.
    public func run(_ sql: String, _ values: [SQLiteValue] = []) throws {
        try prepare(sql).run(values)
    }

    public func rows(_ sql: String, _ values: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        try prepare(sql).rows(values)
    }

    /// The first column of the first row, or nil when there is no row.
    public func scalar(_ sql: String, _ values: [SQLiteValue] = []) throws -> SQLiteValue? {
        try rows(sql, values).first?.first
    }

    /// Waits up to `milliseconds` for another connection's lock.
    public func setBusyTimeout(milliseconds: Int32) {
        sqlite3_busy_timeout(handle, milliseconds)
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`, rolling back when it
    /// throws, so the database sees all of `body`'s writes or none.
    public func writeTransaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            // A failed COMMIT or a statement error may already have ended the
            // transaction; rolling back again would only add a second error.
            if sqlite3_get_autocommit(handle) == 0 {
                try? execute("ROLLBACK")
            }
            throw error
        }
    }

    /// Runs `body` in a read transaction, so it sees one committed state.
    public func readTransaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN DEFERRED")
        defer { try? execute("COMMIT") }
        return try body()
    }

    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }
}

extension Database {
    /// Keeps the `-wal` and `-shm` files when the last connection closes.
    ///
    /// A read-only connection cannot create them, and without this it would
    /// make a reader either fail or leave new files behind; with it, `status`
    /// opens the replica without creating anything.
    func persistWriteAheadLog() {
        var enable: Int32 = 1
        sqlite3_file_control(handle, "main", SQLITE_FCNTL_PERSIST_WAL, &enable)
    }
}

extension Database {
    /// Runs `body` while SQLite calls `progress` about every `instructions`
    /// virtual-machine steps of whatever statement is running, so that a
    /// long statement can show it is alive. When `progress` returns false,
    /// the running statement stops with SQLITE_INTERRUPT.
    ///
    /// Wraps `sqlite3_progress_handler`; see
    /// https://sqlite.org/c3ref/progress_handler.html
    public func withProgressHandler<T>(
        every instructions: Int32 = 1_000, _ progress: () -> Bool, _ body: () throws -> T
    ) throws -> T {
        try withoutActuallyEscaping(progress) { progress in
            let box = ProgressBox(progress)
            sqlite3_progress_handler(handle, instructions, { context in
                let box = Unmanaged<ProgressBox>.fromOpaque(context!).takeUnretainedValue()
                return box.progress() ? 0 : 1
            }, Unmanaged.passUnretained(box).toOpaque())
            defer { sqlite3_progress_handler(handle, 0, nil, nil) }
            return try withExtendedLifetime(box) { try body() }
        }
    }
}

private final class ProgressBox {
    let progress: () -> Bool

    init(_ progress: @escaping () -> Bool) {
        self.progress = progress
    }
}
