import CSodium
import Foundation

/// An Ed25519 public key that verifies publisher signatures.
public struct PublicKey: Hashable, Sendable {
    public static let byteCount = Int(crypto_sign_PUBLICKEYBYTES)
    static let fileTag = "mrc-ed25519-public"

    public let bytes: Data

    public init(bytes: Data) throws {
        guard bytes.count == Self.byteCount else {
            throw SyncError(.configuration, "A public key must be \(Self.byteCount) bytes long.")
        }
        self.bytes = bytes
    }

    /// A short fingerprint that names the key inside signed files: the first
    /// 8 bytes of BLAKE2b-256 of the key.
    public var keyID: Data { Hash.blake2b(bytes, length: 32).prefix(8) }

    public func isValidSignature(_ signature: Data, of message: Data) -> Bool {
        Sodium.ensureInitialized()
        guard signature.count == Int(crypto_sign_BYTES) else { return false }
        let message = [UInt8](message)
        return crypto_sign_verify_detached(
            [UInt8](signature), message, UInt64(message.count), [UInt8](bytes)) == 0
    }

    /// Reads a `.pub` file written by `mrc-publish keygen`.
    public static func load(from url: URL) throws -> PublicKey {
        let bytes = try KeyFile.read(url, tag: fileTag, length: byteCount)
        return try PublicKey(bytes: bytes)
    }

    public func fileContents() -> Data {
        KeyFile.contents(tag: Self.fileTag, bytes: bytes)
    }
}

/// An Ed25519 secret key that signs bundles and indexes. Only the central
/// office holds one.
public struct SigningKey: Sendable {
    static let fileTag = "mrc-ed25519-secret"
    static let byteCount = Int(crypto_sign_SECRETKEYBYTES)

    let secret: Data
    public let publicKey: PublicKey

    public static func generate() -> SigningKey {
        Sodium.ensureInitialized()
        var publicBytes = [UInt8](repeating: 0, count: PublicKey.byteCount)
        var secret = [UInt8](repeating: 0, count: byteCount)
        crypto_sign_keypair(&publicBytes, &secret)
        // The length is right by construction.
        return SigningKey(
            secret: Data(secret), publicKey: try! PublicKey(bytes: Data(publicBytes)))
    }

    private init(secret: Data, publicKey: PublicKey) {
        self.secret = secret
        self.publicKey = publicKey
    }

    /// Reads a `.key` file written by `mrc-publish keygen`.
    public static func load(from url: URL) throws -> SigningKey {
        let secret = try KeyFile.read(url, tag: fileTag, length: byteCount)
        // An Ed25519 secret key in libsodium's layout ends with its public key.
        let publicKey = try PublicKey(bytes: secret.suffix(PublicKey.byteCount))
        return SigningKey(secret: secret, publicKey: publicKey)
    }

    public func sign(_ message: Data) -> Data {
        Sodium.ensureInitialized()
        var signature = [UInt8](repeating: 0, count: Int(crypto_sign_BYTES))
        let message = [UInt8](message)
        crypto_sign_detached(&signature, nil, message, UInt64(message.count), [UInt8](secret))
        return Data(signature)
    }

    public func fileContents() -> Data {
        KeyFile.contents(tag: Self.fileTag, bytes: secret)
    }
}

/// The text form of key files: one line, a tag naming the kind of key, a
/// space, and the key in base64. A tag makes it impossible to pin a secret
/// key, or an encryption key, where a signing public key is expected.
enum KeyFile {
    static func contents(tag: String, bytes: Data) -> Data {
        Data("\(tag) \(bytes.base64EncodedString())\n".utf8)
    }

    /// Names a kind of key as the files keygen writes.
    static func describe(_ tag: String) -> String {
        switch tag {
        case SigningKey.fileTag: return "the publisher's secret key (publisher.key)"
        case PublicKey.fileTag: return "the publisher's public key (publisher.pub)"
        case "mrc-x25519-secret": return "the inbox secret key (inbox.key)"
        case "mrc-x25519-public": return "the inbox public key (inbox.pub)"
        default: return "a key of kind \(tag)"
        }
    }

    static func read(_ url: URL, tag: String, length: Int) throws -> Data {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SyncError(
                .configuration,
                "Could not read the key file \(url.path): \(FileSystem.reason(of: error)).")
        }
        let text = String(decoding: data, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = text.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2 else {
            throw SyncError(.configuration, "\(url.path) is not a key file written by mrc-publish.")
        }
        guard parts[0] == tag else {
            throw SyncError(
                .configuration,
                "\(url.path) is \(describe(parts[0])), but \(describe(tag)) is needed here.")
        }
        guard let bytes = Data(base64Encoded: parts[1]), bytes.count == length else {
            throw SyncError(.configuration, "The key in \(url.path) is damaged.")
        }
        return bytes
    }
}
