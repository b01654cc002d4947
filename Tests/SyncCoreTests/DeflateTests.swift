import Foundation
import Testing
@testable import SyncCore

@Suite("zlib payloads")
struct DeflateTests {
    private let original = Data((0..<20_000).map { UInt8(truncatingIfNeeded: $0 * 7 / 3) })

    @Test("a compressed payload decompresses to the same bytes")
    func roundTrip() throws {
        let compressed = try Deflate.compress(original)
        #expect(compressed.count < original.count)
        #expect(try Deflate.decompress(compressed, expectedSize: original.count) == original)
    }

    /// C-05 at the decompressor: running out of input is never success.
    @Test("a stream cut anywhere is an error", arguments: [2, 10, 50, 90, 99])
    func truncated(percent: Int) throws {
        let compressed = try Deflate.compress(original)
        let cut = compressed.prefix(compressed.count * percent / 100)
        #expect(throws: DeflateError.self) {
            try Deflate.decompress(cut, expectedSize: original.count)
        }
    }

    @Test("a stream missing only its checksum is truncated")
    func missingChecksum() throws {
        let compressed = try Deflate.compress(original)
        #expect(throws: DeflateError.truncated) {
            try Deflate.decompress(compressed.dropLast(4), expectedSize: original.count)
        }
    }

    @Test("bytes after the end of the stream are an error")
    func trailingBytes() throws {
        var compressed = try Deflate.compress(original)
        compressed.append(0)
        #expect(throws: DeflateError.trailingBytes) {
            try Deflate.decompress(compressed, expectedSize: original.count)
        }
    }

    @Test("output longer or shorter than declared is an error")
    func sizeMismatch() throws {
        let compressed = try Deflate.compress(original)
        #expect(throws: DeflateError.sizeMismatch(expected: 100, actual: 101)) {
            try Deflate.decompress(compressed, expectedSize: 100)
        }
        #expect(throws: DeflateError.sizeMismatch(expected: 30_000, actual: original.count)) {
            try Deflate.decompress(compressed, expectedSize: 30_000)
        }
    }

    @Test("a damaged stream fails its checks")
    func damaged() throws {
        var compressed = try Deflate.compress(original)
        compressed[compressed.count - 2] ^= 0xff
        #expect(throws: DeflateError.corrupt) {
            try Deflate.decompress(compressed, expectedSize: original.count)
        }
    }
}
