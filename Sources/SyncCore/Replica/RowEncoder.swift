import CSQLite
import CSodium
import Foundation

/// Writes rows in the digest's canonical encoding (see
/// `ContentDigest.encode(table:row:)`) straight from SQLite's values into a
/// buffer of plain memory, filled with `memcpy`: the full scans of `verify`
/// and of the publisher, and the pre-update hook while a release is applied,
/// encode hundreds of megabytes this way, and make no Swift value for any.
final class RowEncoder {
    private(set) var buffer: UnsafeMutableRawPointer?
    private var capacity = 0
    /// Bytes written since the buffer was taken or emptied.
    private(set) var count = 0

    deinit {
        free(buffer)
    }

    /// The encoding of a table's name, which starts every row's encoding.
    static func prefix(table: String) -> [UInt8] {
        let name = Array(table.utf8)
        return withUnsafeBytes(of: UInt32(name.count).bigEndian) { Array($0) } + name
    }

    /// Appends the encoding of the row whose `columns` values `value` hands
    /// out, in column order. A value SQLite could not hand out (nil) is
    /// written as a tag no storage class has, so the row never matches.
    func appendRow(prefix: [UInt8], columns: Int32, value: (Int32) -> OpaquePointer?) {
        append(bytes: prefix)
        for column in 0..<columns {
            append(value(column))
        }
    }

    /// Hashes what was written with BLAKE2b-512 into `output`, which holds
    /// `ContentDigest.byteCount` bytes, and empties the buffer.
    func hashAndEmpty(into output: UnsafeMutableRawBufferPointer) {
        crypto_generichash(
            output.baseAddress!.assumingMemoryBound(to: UInt8.self), output.count,
            buffer?.assumingMemoryBound(to: UInt8.self), UInt64(count), nil, 0)
        count = 0
    }

    /// Hands the buffer over, to be released with `free`; the encoder
    /// starts a new one.
    func take() -> (bytes: UnsafeMutableRawPointer, count: Int)? {
        guard let buffer, count > 0 else { return nil }
        defer { (self.buffer, capacity, count) = (nil, 0, 0) }
        return (buffer, count)
    }

    func append(byte: UInt8) {
        reserve(1)
        buffer!.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    func append(bytes: [UInt8]) {
        bytes.withUnsafeBytes { append(raw: $0.baseAddress, $0.count) }
    }

    /// Writes `value` at `offset`, over bytes written before.
    func overwrite(_ value: UInt32, at offset: Int) {
        withUnsafeBytes(of: value) { buffer!.advanced(by: offset).copyMemory(
            from: $0.baseAddress!, byteCount: 4) }
    }

    private func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        capacity = max(64 * 1024, 2 * capacity, count + extra)
        guard let grown = realloc(buffer, capacity) else {
            fatalError("out of memory while encoding rows for the content digest")
        }
        buffer = grown
    }

    private func append(raw bytes: UnsafeRawPointer?, _ length: Int) {
        guard let bytes, length > 0 else { return }
        reserve(length)
        memcpy(buffer! + count, bytes, length)
        count += length
    }

    private func append(_ value: OpaquePointer?) {
        guard let value else {
            append(byte: 0xFF)
            return
        }
        switch sqlite3_value_type(value) {
        case SQLITE_INTEGER:
            append(byte: 1)
            appendBigEndian(UInt64(bitPattern: sqlite3_value_int64(value)))
        case SQLITE_FLOAT:
            append(byte: 2)
            appendBigEndian(sqlite3_value_double(value).bitPattern)
        case SQLITE_TEXT:
            // The pointer first, then its length, as SQLite asks.
            let bytes = UnsafeRawPointer(sqlite3_value_text(value))
            appendLengthPrefixed(tag: 3, bytes, Int(sqlite3_value_bytes(value)))
        case SQLITE_BLOB:
            let bytes = sqlite3_value_blob(value)
            appendLengthPrefixed(tag: 4, bytes, Int(sqlite3_value_bytes(value)))
        default:
            append(byte: 0)
        }
    }

    private func appendLengthPrefixed(tag: UInt8, _ bytes: UnsafeRawPointer?, _ length: Int) {
        append(byte: tag)
        var prefix = UInt32(max(0, length)).bigEndian
        append(raw: &prefix, 4)
        append(raw: bytes, length)
    }

    private func appendBigEndian(_ number: UInt64) {
        var value = number.bigEndian
        append(raw: &value, 8)
    }
}
