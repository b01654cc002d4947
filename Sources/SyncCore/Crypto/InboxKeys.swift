import CSodium
import Foundation

/// The central office's X25519 key pair for visitor-query uploads: centres
/// encrypt batches to the public half with a sealed box, and only the
/// central office can open them.
public struct InboxKeyPair: Sendable {
    static let publicTag = "mrc-x25519-public"
    static let secretTag = "mrc-x25519-secret"

    public let publicKey: Data
    let secretKey: Data

    public static func generate() -> InboxKeyPair {
        Sodium.ensureInitialized()
        var publicKey = [UInt8](repeating: 0, count: Int(crypto_box_PUBLICKEYBYTES))
        var secretKey = [UInt8](repeating: 0, count: Int(crypto_box_SECRETKEYBYTES))
        crypto_box_keypair(&publicKey, &secretKey)
        return InboxKeyPair(publicKey: Data(publicKey), secretKey: Data(secretKey))
    }

    public func publicFileContents() -> Data {
        KeyFile.contents(tag: Self.publicTag, bytes: publicKey)
    }

    public func secretFileContents() -> Data {
        KeyFile.contents(tag: Self.secretTag, bytes: secretKey)
    }
}
