import CSQLite
import CSodium
import Foundation

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
///
/// Hashing is a third of the work of applying a large release, so it runs
/// on a thread of its own: the hook only copies each row, in the digest's
/// canonical encoding, into a buffer, and full buffers go to the hashing
/// thread while SQLite goes on writing. On a machine with two cores the
/// digest then costs little more than the copies.
final class DigestRecorder {
    /// Row changes seen in the content tables.
    private(set) var changes = 0
    /// Set when SQLite could not hand out a value the digest needs.
    private(set) var incomplete = false

    private let database: Database
    private let tables: [(name: [CChar], prefix: [UInt8])]
    private let start: ContentDigest
    private var result: ContentDigest?
    private var writer = RecordWriter()

    init(database: Database, tables: [ContentTable], digest: ContentDigest) {
        self.database = database
        self.tables = tables.map {
            (Array($0.name.utf8CString), RowEncoder.prefix(table: $0.name))
        }
        self.start = digest
    }

    /// The digest after the changes recorded; valid once `record` returned.
    var digest: ContentDigest { result ?? start }

    /// Runs `body` with the hook installed, and removes it after.
    func record<T>(_ body: () throws -> T) rethrows -> T {
        let hashing = HashingThread(start: start)
        writer.output = hashing
        sqlite3_preupdate_hook(
            database.handle,
            { context, connection, operation, schema, table, _, _ in
                guard let context, let connection, let schema, let table else { return }
                Unmanaged<DigestRecorder>.fromOpaque(context).takeUnretainedValue()
                    .willChange(connection, operation, schema, table)
            },
            Unmanaged.passUnretained(self).toOpaque())
        defer {
            sqlite3_preupdate_hook(database.handle, nil, nil)
            writer.flush()
            writer.output = nil
            result = hashing.finish()
        }
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
            writer.append(.subtract, prefix: prefix, count: count) { column in
                value { sqlite3_preupdate_old(connection, column, &$0) }
            }
        }
        if operation != SQLITE_DELETE {
            writer.append(.add, prefix: prefix, count: count) { column in
                value { sqlite3_preupdate_new(connection, column, &$0) }
            }
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

/// Frames each row for the hashing thread: whether it is added or taken
/// away, its length, then its encoding; buffers of about a megabyte go to
/// the thread, which frees them.
private struct RecordWriter {
    enum Sign: UInt8 { case add = 0, subtract = 1 }

    static let bufferSize = 1 << 20

    var output: HashingThread?
    private let encoder = RowEncoder()

    func append(
        _ sign: Sign, prefix: [UInt8], count columns: Int32, value: (Int32) -> OpaquePointer?
    ) {
        encoder.append(byte: sign.rawValue)
        let lengthAt = encoder.count
        encoder.append(bytes: [0, 0, 0, 0])
        encoder.appendRow(prefix: prefix, columns: columns, value: value)
        encoder.overwrite(UInt32(encoder.count - lengthAt - 4).littleEndian, at: lengthAt)
        if encoder.count >= Self.bufferSize { flush() }
    }

    /// Hands the filled buffer to the hashing thread.
    func flush() {
        guard let (bytes, count) = encoder.take() else { return }
        output?.submit(HashingThread.Chunk(bytes: bytes, count: count))
    }
}

/// The thread that hashes the encoded rows and sums them into a digest.
/// At most a few buffers wait for it; beyond that, the hook waits.
private final class HashingThread: @unchecked Sendable {
    /// A buffer from `malloc`, owned by whoever holds the chunk.
    struct Chunk: @unchecked Sendable {
        let bytes: UnsafeMutableRawPointer
        let count: Int
    }

    private static let queueLimit = 8

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue = [Chunk]()
    private var closed = false
    private var digest: ContentDigest?

    private var worker: WorkerThread?

    init(start: ContentDigest) {
        Sodium.ensureInitialized()
        worker = WorkerThread { [self] in
            let total = hashAll(from: start)
            condition.lock()
            digest = total
            condition.broadcast()
            condition.unlock()
        }
    }

    func submit(_ buffer: Chunk) {
        condition.lock()
        while queue.count >= Self.queueLimit { condition.wait() }
        queue.append(buffer)
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for every buffer submitted to be hashed, and for the thread
    /// to end.
    func finish() -> ContentDigest {
        condition.lock()
        closed = true
        condition.broadcast()
        while digest == nil { condition.wait() }
        let total = digest!
        condition.unlock()
        worker?.join()
        return total
    }



    private func next() -> Chunk? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !closed { condition.wait() }
        guard !queue.isEmpty else { return nil }
        condition.broadcast()
        return queue.removeFirst()
    }

    private func hashAll(from start: ContentDigest) -> ContentDigest {
        var digest = start
        let output = UnsafeMutableRawBufferPointer.allocate(
            byteCount: ContentDigest.byteCount, alignment: 8)
        defer { output.deallocate() }
        let out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
        while let chunk = next() {
            defer { free(chunk.bytes) }
            let bytes = UnsafeRawBufferPointer(start: chunk.bytes, count: chunk.count)
            do {
                var offset = 0
                while offset < bytes.count {
                    let sign = bytes[offset]
                    let length = Int(UInt32(littleEndian: bytes.loadUnaligned(
                        fromByteOffset: offset + 1, as: UInt32.self)))
                    let record = bytes.baseAddress!.advanced(by: offset + 5)
                        .assumingMemoryBound(to: UInt8.self)
                    crypto_generichash(out, output.count, record, UInt64(length), nil, 0)
                    if sign == RecordWriter.Sign.add.rawValue {
                        digest.add(hash: UnsafeRawBufferPointer(output))
                    } else {
                        digest.subtract(hash: UnsafeRawBufferPointer(output))
                    }
                    offset += 5 + length
                }
            }
        }
        return digest
    }
}
