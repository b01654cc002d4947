import Foundation

extension Patchset {
    /// The same changes, with each table's changes sorted by primary key.
    ///
    /// `sqlite3session_patchset` writes a table's changes in the order of
    /// its hash table of keys, which scatters neighbouring rows across the
    /// stream. Sorted, rows with similar keys and similar text sit side by
    /// side, so deflate finds more to refer back to, and applying walks each
    /// table's B-tree in order. A patchset holds at most one change per row,
    /// so the order within a table does not change what applying does; the
    /// order of the tables is kept.
    ///
    /// Only the layout is read: a change's bytes are moved, never
    /// re-encoded. Throws `PatchsetFormatError` on anything that is not a
    /// well-formed patchset.
    public func orderedByKey() throws -> Patchset {
        var reader = PatchsetReader(bytes: [UInt8](bytes))
        var output = [UInt8]()
        output.reserveCapacity(bytes.count)
        while let table = try reader.nextTable() {
            output += reader.bytes[table.header]
            let sorted = table.changes.enumerated().sorted { lhs, rhs in
                let order = Self.compare(lhs.element.key, rhs.element.key, in: reader.bytes)
                return order != 0 ? order < 0 : lhs.offset < rhs.offset
            }
            for (_, change) in sorted { output += reader.bytes[change.range] }
        }
        return Patchset(bytes: Data(output))
    }

    /// Orders two keys field by field: by type, then by value (integers
    /// numerically, text and blobs bytewise, as SQLite's BINARY collation).
    private static func compare(_ lhs: [PatchsetReader.Field], _ rhs: [PatchsetReader.Field],
                                in bytes: [UInt8]) -> Int
    {
        for (left, right) in zip(lhs, rhs) {
            if left.type != right.type { return left.type < right.type ? -1 : 1 }
            let leftBytes = bytes[left.value]
            let rightBytes = bytes[right.value]
            if left.type == PatchsetReader.integerType {
                let a = Int64(bitPattern: leftBytes.reduce(0) { $0 << 8 | UInt64($1) })
                let b = Int64(bitPattern: rightBytes.reduce(0) { $0 << 8 | UInt64($1) })
                if a != b { return a < b ? -1 : 1 }
            } else if !leftBytes.elementsEqual(rightBytes) {
                return leftBytes.lexicographicallyPrecedes(rightBytes) ? -1 : 1
            }
        }
        return lhs.count == rhs.count ? 0 : (lhs.count < rhs.count ? -1 : 1)
    }
}

/// A patchset whose bytes do not follow the session extension's format.
public struct PatchsetFormatError: Error, Sendable, CustomStringConvertible {
    public let offset: Int
    public let reason: String

    public var description: String { "malformed patchset at byte \(offset): \(reason)" }
}

/// Walks the layout of a patchset, as the session extension writes it
/// (sqlite.org/sessionintro.html, and the format notes in sqlite3session.c):
///
/// - a table header: `P`, the column count as a varint, one byte per
///   column (1 for a primary-key column), the table name and a zero byte;
/// - then that table's changes: the operation (`SQLITE_INSERT` 18,
///   `SQLITE_UPDATE` 23, `SQLITE_DELETE` 9), the indirect flag, and one
///   record: every column for an insert or an update (an update leaves the
///   columns it does not set "undefined"), only the key columns for a
///   delete.
///
/// A field is a type byte and its value: 0 undefined and 5 NULL have none,
/// 1 an integer and 2 a real have eight big-endian bytes, 3 text and 4 a
/// blob have a varint length and that many bytes.
struct PatchsetReader {
    static let tableMarker: UInt8 = 0x50
    static let integerType: UInt8 = 1
    private static let insert: UInt8 = 18
    private static let update: UInt8 = 23
    private static let delete: UInt8 = 9

    struct Field {
        let type: UInt8
        let value: Range<Int>
    }

    struct Change {
        let range: Range<Int>
        let key: [Field]
    }

    struct Table {
        let header: Range<Int>
        let changes: [Change]
    }

    let bytes: [UInt8]
    private var position = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func nextTable() throws -> Table? {
        guard position < bytes.count else { return nil }
        let start = position
        guard try byte() == Self.tableMarker else {
            throw failure(at: start, "expected a table header")
        }
        let columnCount = try varint()
        guard columnCount > 0, columnCount <= 32_767 else {
            throw failure(at: start, "a table of \(columnCount) columns")
        }
        let isKey = try take(Int(columnCount)).map { $0 != 0 }
        guard isKey.contains(true) else { throw failure(at: start, "a table without a key") }
        guard let end = bytes[position...].firstIndex(of: 0), end > position else {
            throw failure(at: position, "a table name without its end")
        }
        position = end + 1
        let header = start..<position

        var changes = [Change]()
        while position < bytes.count, bytes[position] != Self.tableMarker {
            changes.append(try change(isKey: isKey))
        }
        return Table(header: header, changes: changes)
    }

    private mutating func change(isKey: [Bool]) throws -> Change {
        let start = position
        let operation = try byte()
        guard [Self.insert, Self.update, Self.delete].contains(operation) else {
            throw failure(at: start, "unknown operation \(operation)")
        }
        _ = try byte()  // the indirect flag
        var key = [Field]()
        for column in isKey.indices {
            if operation == Self.delete && !isKey[column] { continue }
            let field = try self.field()
            if isKey[column] {
                guard field.type != 0, field.type != 5 else {
                    throw failure(at: start, "a change without its key")
                }
                key.append(field)
            }
        }
        return Change(range: start..<position, key: key)
    }

    private mutating func field() throws -> Field {
        let start = position
        let type = try byte()
        switch type {
        case 0, 5:
            return Field(type: type, value: position..<position)
        case 1, 2:
            let value = position..<(position + 8)
            _ = try take(8)
            return Field(type: type, value: value)
        case 3, 4:
            let length = try varint()
            guard length <= UInt64(bytes.count - position) else {
                throw failure(at: start, "a value longer than the patchset")
            }
            let value = position..<(position + Int(length))
            position = value.upperBound
            return Field(type: type, value: value)
        default:
            throw failure(at: start, "unknown value type \(type)")
        }
    }

    private mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw failure(at: position, "cut short") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count <= bytes.count - position else { throw failure(at: position, "cut short") }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    /// SQLite's varint: big-endian groups of seven bits, the high bit set on
    /// all but the last; a ninth byte, if reached, gives all eight bits.
    private mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        for _ in 0..<8 {
            let next = try byte()
            value = value << 7 | UInt64(next & 0x7F)
            if next & 0x80 == 0 { return value }
        }
        return value << 8 | UInt64(try byte())
    }

    private func failure(at offset: Int, _ reason: String) -> PatchsetFormatError {
        PatchsetFormatError(offset: offset, reason: reason)
    }
}
