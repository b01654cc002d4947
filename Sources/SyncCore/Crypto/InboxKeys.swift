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

extension InboxKeyPair {
    /// Reads `inbox.key`; the public half is derived from the secret one.
    public static func load(secretKeyAt url: URL) throws -> InboxKeyPair {
        let secret = try KeyFile.read(url, tag: secretTag, length: Int(crypto_box_SECRETKEYBYTES))
        var publicKey = [UInt8](repeating: 0, count: Int(crypto_box_PUBLICKEYBYTES))
        crypto_scalarmult_base(&publicKey, [UInt8](secret))
        return InboxKeyPair(publicKey: Data(publicKey), secretKey: secret)
    }

    /// Opens a sealed box addressed to this key pair; nil if it was not, or
    /// if it was altered.
    public func open(_ box: Data) -> Data? {
        Sodium.ensureInitialized()
        let sealed = [UInt8](box)
        guard sealed.count >= Int(crypto_box_sealbytes()) else { return nil }
        var plain = [UInt8](repeating: 0, count: sealed.count - Int(crypto_box_sealbytes()))
        let rc = crypto_box_seal_open(
            &plain, sealed, UInt64(sealed.count), [UInt8](publicKey), [UInt8](secretKey))
        return rc == 0 ? Data(plain) : nil
    }
}

/// The central office's inbox public key, as centres pin it: batches are
/// sealed to it, so only the central office can read them.
public struct InboxPublicKey: Sendable {
    public let bytes: Data

    public static func load(from url: URL) throws -> InboxPublicKey {
        InboxPublicKey(
            bytes: try KeyFile.read(
                url, tag: InboxKeyPair.publicTag, length: Int(crypto_box_PUBLICKEYBYTES)))
    }

    /// Encrypts `message` with an anonymous sealed box (X25519 and
    /// XSalsa20-Poly1305): nobody, the sender included, can open it without
    /// the inbox secret key.
    public func seal(_ message: Data) -> Data {
        Sodium.ensureInitialized()
        let plain = [UInt8](message)
        var sealed = [UInt8](repeating: 0, count: plain.count + Int(crypto_box_sealbytes()))
        crypto_box_seal(&sealed, plain, UInt64(plain.count), [UInt8](bytes))
        return Data(sealed)
    }
}
