import CSQLite
import Glibc

/// Keeps a content digest in step with the rows SQLite changes, from
/// SQLite's pre-update hook.
///
/// Just before SQLite deletes, replaces or writes a row of a content table,
/// the hook hands out the row's old values, its new ones, or both. The
/// recorder takes the old row's hash away from the digest and adds the new
/// row's, so applying a release reads no row for the digest: the rows SQLite
/// is changing anyway are hashed where they are. Whatever changes a content
/// table while recording, a patchset or any other statement, is accounted
/// for; tables that are not content tables are ignored.
final class DigestRecorder {
    private(set) var digest: ContentDigest
    /// Row changes seen in the content tables.
    private(set) var changes = 0
    /// Set when SQLite could not hand out a value the digest needs.
    private(set) var incomplete = false

    private let database: Database
    private let tables: [(name: [CChar], prefix: [UInt8])]
    private let hasher = RowHasher()

    init(database: Database, tables: [ContentTable], digest: ContentDigest) {
        self.database = database
        self.tables = tables.map { (Array($0.name.utf8CString), RowHasher.prefix(table: $0.name)) }
        self.digest = digest
    }

    /// Runs `body` with the hook installed, and removes it after.
    func record<T>(_ body: () throws -> T) rethrows -> T {
        sqlite3_preupdate_hook(
            database.handle,
            { context, connection, operation, schema, table, _, _ in
                guard let context, let connection, let schema, let table else { return }
                Unmanaged<DigestRecorder>.fromOpaque(context).takeUnretainedValue()
                    .willChange(connection, operation, schema, table)
            },
            Unmanaged.passUnretained(self).toOpaque())
        defer { sqlite3_preupdate_hook(database.handle, nil, nil) }
        return try withExtendedLifetime(self) { try body() }
    }

    private func willChange(
        _ connection: OpaquePointer, _ operation: Int32, _ schema: UnsafePointer<CChar>,
        _ table: UnsafePointer<CChar>
    ) {
        guard strcmp(schema, "main") == 0,
              let prefix = tables.first(where: { strcmp($0.name, table) == 0 })?.prefix
        else { return }
        changes += 1
        let count = sqlite3_preupdate_count(connection)
        if operation != SQLITE_INSERT {
            digest.subtract(hash: hasher.hash(prefix: prefix, count: count) { column in
                value { sqlite3_preupdate_old(connection, column, &$0) }
            })
        }
        if operation != SQLITE_DELETE {
            digest.add(hash: hasher.hash(prefix: prefix, count: count) { column in
                value { sqlite3_preupdate_new(connection, column, &$0) }
            })
        }
    }

    private func value(_ read: (inout OpaquePointer?) -> Int32) -> OpaquePointer? {
        var value: OpaquePointer?
        guard read(&value) == SQLITE_OK, let value else {
            incomplete = true
            return nil
        }
        return value
    }
}
