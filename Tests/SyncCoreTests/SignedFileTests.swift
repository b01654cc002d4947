import Foundation
import Testing
@testable import SyncCore

@Suite("The signed container")
struct SignedFileTests {
    private let key = SigningKey.generate()

    @Test("a sealed file opens with the key and gives back header and payload")
    func roundTrip() throws {
        let sealed = SignedFile.seal(
            kind: .index, header: Data("{}".utf8), payload: Data([1, 2, 3]), key: key)
        let file = try SignedFile.open(
            sealed, kind: .index, name: "f", trustedKeys: [SigningKey.generate().publicKey, key.publicKey])
        #expect(file.header == Data("{}".utf8))
        #expect(file.payload == Data([1, 2, 3]))
        #expect(file.keyID == key.publicKey.keyID)
    }

    @Test("a bundle is not accepted as an index, nor the reverse")
    func kindsDiffer() throws {
        let sealed = SignedFile.seal(kind: .bundle, header: Data("{}".utf8), payload: Data(), key: key)
        let error = try #require(throws: SyncError.self) {
            try SignedFile.open(sealed, kind: .index, name: "f", trustedKeys: [key.publicKey])
        }
        #expect(error.code == .notABundle)
    }

    @Test("every single-byte flip outside the magic is refused")
    func everyFlipRefused() throws {
        let sealed = SignedFile.seal(
            kind: .bundle, header: Data("{\"a\":1}".utf8), payload: Data(repeating: 7, count: 40),
            key: key)
        var accepted = 0
        for offset in 8..<sealed.count {
            var bytes = sealed
            bytes[offset] ^= 0x40
            if (try? SignedFile.open(bytes, kind: .bundle, name: "f", trustedKeys: [key.publicKey]))
                != nil
            {
                accepted += 1
            }
        }
        #expect(accepted == 0)
    }

    @Test("the format version is checked before the signature")
    func newerFormat() throws {
        var sealed = SignedFile.seal(kind: .bundle, header: Data("{}".utf8), payload: Data(), key: key)
        sealed[9] = 2
        let error = try #require(throws: SyncError.self) {
            try SignedFile.open(sealed, kind: .bundle, name: "f", trustedKeys: [key.publicKey])
        }
        #expect(error.code == .unsupportedVersion)
    }
}
