import Foundation

/// A digest of the replica's content that can be updated row by row.
///
/// Each row is encoded canonically (table name, then every column with its
/// storage class) and hashed with BLAKE2b-512; the digest is the lane-wise
/// sum, modulo 2^64, of those hashes read as eight little-endian 64-bit
/// lanes. Because addition commutes and can be undone, applying a change
/// costs one subtraction per changed row before and one addition after,
/// whatever the size of the replica.
///
/// The digest detects a replica that has drifted from the published content
/// (a bug, a damaged disk, a hand edit). It is not what makes content
/// trustworthy: that is the Ed25519 signature over the bundle that names
/// the digest.
public struct ContentDigest: Equatable, Sendable, CustomStringConvertible {
    static let laneCount = 8
    public static let byteCount = laneCount * 8

    private(set) var lanes: [UInt64]

    /// The digest of empty content.
    public static let empty = ContentDigest(lanes: Array(repeating: 0, count: laneCount))

    private init(lanes: [UInt64]) {
        self.lanes = lanes
    }

    /// Parses the 128 hexadecimal digits that bundles and the replica store.
    public init?(hex: String) {
        guard let bytes = Data(hexString: hex), bytes.count == Self.byteCount else { return nil }
        self.init(lanes: Self.lanes(of: bytes))
    }

    public var hex: String {
        var bytes = Data(capacity: Self.byteCount)
        for lane in lanes {
            withUnsafeBytes(of: lane.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes.hexString
    }

    public var description: String { hex }

    /// The first 16 digits, enough for a person to compare two digests.
    public var shortHex: String { String(hex.prefix(16)) }

    /// Adds a row given as Swift values; the reference for the encoding that
    /// `RowEncoder` writes from SQLite's values.
    mutating func add(table: String, row: [SQLiteValue]) {
        Self.hash(table: table, row: row).withUnsafeBytes { add(hash: $0) }
    }

    mutating func remove(table: String, row: [SQLiteValue]) {
        Self.hash(table: table, row: row).withUnsafeBytes { subtract(hash: $0) }
    }

    private static func hash(table: String, row: [SQLiteValue]) -> Data {
        Hash.blake2b(encode(table: table, row: row), length: byteCount)
    }

    /// Adds one row's hash: 64 bytes of BLAKE2b of its encoding.
    mutating func add(hash: UnsafeRawBufferPointer) {
        for lane in 0..<Self.laneCount {
            lanes[lane] &+= UInt64(littleEndian: hash.loadUnaligned(
                fromByteOffset: lane * 8, as: UInt64.self))
        }
    }

    /// Takes one row's hash away again.
    mutating func subtract(hash: UnsafeRawBufferPointer) {
        for lane in 0..<Self.laneCount {
            lanes[lane] &-= UInt64(littleEndian: hash.loadUnaligned(
                fromByteOffset: lane * 8, as: UInt64.self))
        }
    }

    private static func lanes(of bytes: Data) -> [UInt64] {
        let raw = [UInt8](bytes)
        return (0..<laneCount).map { lane in
            var value: UInt64 = 0
            for byte in (0..<8).reversed() {
                value = value << 8 | UInt64(raw[lane * 8 + byte])
            }
            return value
        }
    }

    /// The canonical encoding: the table name's length and UTF-8 bytes, then
    /// per column a storage-class tag and the value (integers and reals as 8
    /// big-endian bytes, text and blobs as a 4-byte big-endian length and
    /// the bytes).
    static func encode(table: String, row: [SQLiteValue]) -> Data {
        var out = Data()
        appendLengthPrefixed(Data(table.utf8), to: &out)
        for value in row {
            switch value {
            case .null:
                out.append(0)
            case .integer(let number):
                out.append(1)
                appendBigEndian(UInt64(bitPattern: number), to: &out)
            case .real(let number):
                out.append(2)
                appendBigEndian(number.bitPattern, to: &out)
            case .text(let string):
                out.append(3)
                appendLengthPrefixed(Data(string.utf8), to: &out)
            case .blob(let data):
                out.append(4)
                appendLengthPrefixed(data, to: &out)
            }
        }
        return out
    }

    private static func appendBigEndian(_ value: UInt64, to out: inout Data) {
        withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
    }

    private static func appendLengthPrefixed(_ bytes: Data, to out: inout Data) {
        withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { out.append(contentsOf: $0) }
        out.append(bytes)
    }
}
