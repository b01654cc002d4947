import CSodium
import Foundation

/// libsodium must be initialised once per process before any other call;
/// `sodium_init` is itself safe to call more than once, and a global `let`
/// is initialised exactly once, on first use.
private let sodiumStatus: Int32 = sodium_init()

enum Sodium {
    static func ensureInitialized() {
        // A negative status means no secure random source; nothing in this
        // program can work safely without one.
        precondition(sodiumStatus >= 0, "libsodium could not be initialised")
    }

    static func randomBytes(_ count: Int) -> Data {
        ensureInitialized()
        var bytes = [UInt8](repeating: 0, count: count)
        randombytes_buf(&bytes, count)
        return Data(bytes)
    }
}

/// Hash functions from libsodium.
public enum Hash {
    /// SHA-256, as printed by `sha256sum`; used for file hashes in the index.
    public static func sha256(_ data: Data) -> Data {
        Sodium.ensureInitialized()
        var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        let input = [UInt8](data)
        crypto_hash_sha256(&digest, input, UInt64(input.count))
        return Data(digest)
    }

    /// BLAKE2b with an output of `length` bytes (16–64).
    public static func blake2b(_ data: Data, length: Int = 32) -> Data {
        Sodium.ensureInitialized()
        var digest = [UInt8](repeating: 0, count: length)
        let input = [UInt8](data)
        crypto_generichash(&digest, length, input, UInt64(input.count), nil, 0)
        return Data(digest)
    }
}
