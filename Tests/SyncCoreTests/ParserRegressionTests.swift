import Foundation
import Testing
@testable import SyncCore

/// Inputs the fuzzers found that once crashed a parser; each must now be
/// refused with an error.
@Suite("Parser regressions")
struct ParserRegressionTests {
    @Test("an empty zlib stream is truncated, not a crash")
    func emptyStream() {
        #expect(throws: DeflateError.truncated) { try Deflate.decompress(Data(), expectedSize: 10) }
    }

    @Test("a closing bracket with nothing open is reported")
    func unbalancedJSON() {
        let problem = StrictJSONCheck.firstProblem(in: Data("]".utf8))
        #expect(problem?.message.contains("nothing open") == true)
    }

    @Test("a signed bundle claiming a huge uncompressed size is refused")
    func hugeUncompressedSize() throws {
        let key = SigningKey.generate()
        let header = #"""
            {"base_release":0,"channel":"mm-main",
             "content_digest":"\#(String(repeating: "0", count: 128))",
             "kind":"snapshot","payload_compression":"zlib","payload_format":"sqlite-patchset",
             "published_at":"2026-12-01T00:00:00Z","schema_statements":[],"schema_version":1,
             "target_release":1,"uncompressed_size":1099511627776}
            """#
        let sealed = SignedFile.seal(
            kind: .bundle, header: Data(header.utf8), payload: try Deflate.compress(Data([1, 2, 3])),
            key: key)
        let error = try #require(throws: SyncError.self) {
            try Bundle.open(sealed, name: "huge", trustedKeys: [key.publicKey])
        }
        #expect(error.code == .malformed)
    }

    @Test("a batch whose box holds a huge size, or nothing after it, is refused",
          arguments: [Data([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1]), Data(count: 8)])
    func batchSizes(inner: Data) throws {
        let inbox = InboxKeyPair.generate()
        let box = InboxPublicKey(bytes: inbox.publicKey).seal(inner)
        let file = Data(QueryBatch.magic) + box
        #expect(throws: SyncError.self) { try QueryBatch.open(file, name: "b", inbox: inbox) }
    }
}
