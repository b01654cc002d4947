import CZlib
import Foundation

/// zlib-format compression (RFC 1950: deflate with an Adler-32 check).
public enum Deflate {
    /// Compresses `data` at `level` (0–9; 9 is smallest).
    public static func compress(_ data: Data, level: Int32 = 9) throws -> Data {
        var bound = compressBound(uLong(data.count))
        var output = Data(count: Int(bound))
        let rc = output.withUnsafeMutableBytes { out in
            data.withUnsafeBytes { input in
                compress2(
                    out.bindMemory(to: Bytef.self).baseAddress, &bound,
                    input.bindMemory(to: Bytef.self).baseAddress, uLong(input.count), level)
            }
        }
        guard rc == Z_OK else { throw DeflateError.library(rc) }
        output.count = Int(bound)
        return output
    }

    /// Decompresses a whole zlib stream that must produce exactly
    /// `expectedSize` bytes.
    ///
    /// Running out of input before the end of the stream is an error, never
    /// a short success; so are bytes after the end of the stream and output
    /// beyond `expectedSize`, which also bounds the memory a hostile input
    /// can make us allocate.
    public static func decompress(_ data: Data, expectedSize: Int) throws -> Data {
        try checkSize(expectedSize)
        // One spare byte lets us notice a stream that would produce more
        // than it should.
        var output = Data(count: expectedSize + 1)
        let produced = try output.withUnsafeMutableBytes { raw in
            try decompress(data, expectedSize: expectedSize, into: raw.baseAddress!) { _ in }
        }
        output.count = produced
        return output
    }

    /// Decompresses as `decompress(_:expectedSize:)` does, into `output`,
    /// which must hold `expectedSize + 1` bytes, telling `progress` how many
    /// bytes are there after every quarter megabyte; returns how many.
    static func decompress(
        _ data: Data, expectedSize: Int, into output: UnsafeMutableRawPointer,
        progress: (Int) -> Void
    ) throws -> Int {
        guard !data.isEmpty else { throw DeflateError.truncated }
        try checkSize(expectedSize)
        var stream = z_stream()
        guard mrc_inflate_init(&stream) == Z_OK else { throw DeflateError.library(Z_MEM_ERROR) }
        defer { inflateEnd(&stream) }

        let capacity = expectedSize + 1
        let step = 1 << 18
        var input = data
        var rc: Int32 = Z_OK
        input.withUnsafeMutableBytes { inRaw in
            stream.next_in = inRaw.bindMemory(to: Bytef.self).baseAddress
            stream.avail_in = uInt(inRaw.count)
            while rc == Z_OK {
                let produced = Int(stream.total_out)
                let room = min(step, capacity - produced)
                stream.next_out = output.advanced(by: produced).assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(room)
                rc = inflate(&stream, room == capacity - produced ? Z_FINISH : Z_NO_FLUSH)
                // Z_BUF_ERROR with room left and input left means the last
                // step made no progress only because its output was full.
                if rc == Z_BUF_ERROR, stream.avail_out == 0, Int(stream.total_out) < capacity {
                    rc = Z_OK
                }
                progress(Int(stream.total_out))
            }
        }
        let produced = Int(stream.total_out)
        switch rc {
        case Z_STREAM_END:
            guard stream.avail_in == 0 else { throw DeflateError.trailingBytes }
            guard produced == expectedSize else {
                throw DeflateError.sizeMismatch(expected: expectedSize, actual: produced)
            }
        case Z_BUF_ERROR where stream.avail_out == 0:
            throw DeflateError.sizeMismatch(expected: expectedSize, actual: produced)
        case Z_BUF_ERROR:
            throw DeflateError.truncated
        case Z_DATA_ERROR:
            throw DeflateError.corrupt
        default:
            throw DeflateError.library(rc)
        }
        return produced
    }

    private static func checkSize(_ expectedSize: Int) throws {
        guard expectedSize >= 0, expectedSize < Int.max else {
            throw DeflateError.sizeMismatch(expected: expectedSize, actual: 0)
        }
    }
}

public enum DeflateError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The compressed data ends before the end of the stream.
    case truncated
    /// The compressed data is not a valid zlib stream or fails its checksum.
    case corrupt
    /// There are bytes after the end of the stream.
    case trailingBytes
    case sizeMismatch(expected: Int, actual: Int)
    case library(Int32)

    public var description: String {
        switch self {
        case .truncated: return "the compressed data ends too early"
        case .corrupt: return "the compressed data is damaged"
        case .trailingBytes: return "there are extra bytes after the compressed data"
        case .sizeMismatch(let expected, let actual):
            return "the data decompresses to \(actual) bytes instead of \(expected)"
        case .library(let code): return "zlib failed with code \(code)"
        }
    }
}
