import CSQLite
import CSodium

/// Hashes rows in the digest's canonical encoding (see
/// `ContentDigest.encode(table:row:)`) straight from SQLite's values.
///
/// The bytes of each value are streamed into BLAKE2b where SQLite holds
/// them, so hashing a row copies no text and makes no Swift value: the
/// full scans of `verify` and of the publisher hash hundreds of megabytes
/// this way. (Applying a release copies the rows instead, to hash them on
/// another thread; see `DigestRecorder`, whose encoding must be this one.)
final class RowHasher {
    private let state: UnsafeMutableRawPointer
    private let output = UnsafeMutableRawBufferPointer.allocate(
        byteCount: ContentDigest.byteCount, alignment: 8)
    /// Tag, length or number of the value being hashed.
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 8)

    init() {
        Sodium.ensureInitialized()
        state = UnsafeMutableRawPointer.allocate(
            byteCount: crypto_generichash_blake2b_statebytes(), alignment: 64)
    }

    deinit {
        state.deallocate()
        output.deallocate()
        scratch.deallocate()
    }

    /// The encoding of a table's name, which starts every row's encoding.
    static func prefix(table: String) -> [UInt8] {
        let name = Array(table.utf8)
        return bigEndianBytes(UInt32(name.count)) + name
    }

    /// Hashes the row whose `count` values `value` hands out, in column
    /// order, and returns the hash, valid until the next call.
    func hash(prefix: [UInt8], count: Int32, value: (Int32) -> OpaquePointer?)
        -> UnsafeRawBufferPointer
    {
        // libsodium's state is 64-byte aligned, which Swift imports as opaque.
        let state = OpaquePointer(state)
        crypto_generichash_init(state, nil, 0, ContentDigest.byteCount)
        prefix.withUnsafeBufferPointer {
            _ = crypto_generichash_update(state, $0.baseAddress, UInt64($0.count))
        }
        for column in 0..<count {
            update(state, with: value(column))
        }
        crypto_generichash_final(
            state, output.baseAddress!.assumingMemoryBound(to: UInt8.self), output.count)
        return UnsafeRawBufferPointer(output)
    }

    private func update(_ state: OpaquePointer,
                        with value: OpaquePointer?)
    {
        let header = scratch.baseAddress!.assumingMemoryBound(to: UInt8.self)
        guard let value else {
            // A value SQLite could not hand out is hashed as a tag no
            // storage class has, so the row can never match its digest.
            header[0] = 0xFF
            crypto_generichash_update(state, header, 1)
            return
        }
        switch sqlite3_value_type(value) {
        case SQLITE_INTEGER:
            header[0] = 1
            storeBigEndian(UInt64(bitPattern: sqlite3_value_int64(value)), at: 1)
            crypto_generichash_update(state, header, 9)
        case SQLITE_FLOAT:
            header[0] = 2
            storeBigEndian(sqlite3_value_double(value).bitPattern, at: 1)
            crypto_generichash_update(state, header, 9)
        case SQLITE_TEXT:
            // The pointer first, then its length, as SQLite asks.
            let bytes = UnsafeRawPointer(sqlite3_value_text(value))
            updateLengthPrefixed(state, tag: 3, bytes: bytes, count: sqlite3_value_bytes(value))
        case SQLITE_BLOB:
            let bytes = sqlite3_value_blob(value)
            updateLengthPrefixed(state, tag: 4, bytes: bytes, count: sqlite3_value_bytes(value))
        default:
            header[0] = 0
            crypto_generichash_update(state, header, 1)
        }
    }

    private func updateLengthPrefixed(
        _ state: OpaquePointer, tag: UInt8,
        bytes: UnsafeRawPointer?, count: Int32
    ) {
        let header = scratch.baseAddress!.assumingMemoryBound(to: UInt8.self)
        header[0] = tag
        let length = UInt32(max(0, count)).bigEndian
        withUnsafeBytes(of: length) { scratch.baseAddress!.advanced(by: 1).copyMemory(
            from: $0.baseAddress!, byteCount: 4) }
        crypto_generichash_update(state, header, 5)
        if let bytes, count > 0 {
            crypto_generichash_update(
                state, bytes.assumingMemoryBound(to: UInt8.self), UInt64(count))
        }
    }

    private func storeBigEndian(_ number: UInt64, at offset: Int) {
        withUnsafeBytes(of: number.bigEndian) {
            scratch.baseAddress!.advanced(by: offset).copyMemory(
                from: $0.baseAddress!, byteCount: 8)
        }
    }

    private static func bigEndianBytes(_ number: UInt32) -> [UInt8] {
        withUnsafeBytes(of: number.bigEndian) { Array($0) }
    }
}
