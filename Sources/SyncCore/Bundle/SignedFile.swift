import Foundation

/// The signed container shared by bundles and repository indexes.
///
/// ```
/// offset  size  field
///      0     8  magic: 89 4D 52 43 (42 bundle | 49 index) 0D 0A 1A
///      8     2  format version, big-endian (1)
///     10     2  flags, 0
///     12     8  total length of the file in bytes, big-endian
///     20     4  header length H, big-endian
///     24     H  header: a UTF-8 JSON object
///   24+H     8  payload length P, big-endian
///   32+H     P  payload
///  end-72    8  key id: first 8 bytes of BLAKE2b-256 of the public key
///  end-64   64  Ed25519 signature of every byte before it
/// ```
///
/// The signature is checked before anything but the fixed-size prelude is
/// read, so a forged or damaged file never reaches the JSON parser or the
/// decompressor. The total length in the prelude tells a cut copy apart
/// from an altered one.
public struct SignedFile: Sendable {
    public enum Kind: UInt8, Sendable {
        case bundle = 0x42
        case index = 0x49

        var noun: String { self == .bundle ? "bundle" : "index" }
    }

    public static let formatVersion: UInt16 = 1
    static let preludeSize = 20
    /// Far larger than any content a centre can hold.
    static let maximumSize: UInt64 = 1 << 34
    static let trailerSize = 8 + 64

    public let kind: Kind
    public let header: Data
    public let payload: Data
    public let keyID: Data

    static func magic(_ kind: Kind) -> [UInt8] {
        [0x89, 0x4D, 0x52, 0x43, kind.rawValue, 0x0D, 0x0A, 0x1A]
    }

    /// True when `prefix` starts like a file of this kind; cheap enough to
    /// sort stray files from candidates while scanning a USB stick.
    public static func hasMagic(_ prefix: Data, kind: Kind) -> Bool {
        prefix.count >= 8 && [UInt8](prefix.prefix(8)) == magic(kind)
    }

    /// Lays out and signs a file.
    public static func seal(kind: Kind, header: Data, payload: Data, key: SigningKey) -> Data {
        let total = preludeSize + 4 + header.count + 8 + payload.count + trailerSize
        var out = Data(capacity: total)
        out.append(contentsOf: magic(kind))
        out.appendBigEndian(formatVersion)
        out.appendBigEndian(UInt16(0))
        out.appendBigEndian(UInt64(total))
        out.appendBigEndian(UInt32(header.count))
        out.append(header)
        out.appendBigEndian(UInt64(payload.count))
        out.append(payload)
        out.append(key.publicKey.keyID)
        out.append(key.sign(out))
        return out
    }

    /// Checks the prelude and the signature, then splits the file.
    ///
    /// - Parameters:
    ///   - data: the whole file.
    ///   - name: how to name the file in error messages.
    ///   - trustedKeys: the public keys pinned in the configuration.
    /// - Throws: `SyncError` with `.notABundle`, `.unsupportedVersion`,
    ///   `.incomplete`, `.untrustedKey`, `.badSignature` or `.malformed`.
    public static func open(_ data: Data, kind: Kind, name: String, trustedKeys: [PublicKey])
        throws -> SignedFile
    {
        let bytes = [UInt8](data)
        guard bytes.count >= 8, Array(bytes[0..<8]) == magic(kind) else {
            throw SyncError(
                .notABundle,
                "\(name) is not an mrc-syncd \(kind.noun). Check that the right file was chosen; "
                    + "bundles end in .mrcb.")
        }
        guard bytes.count >= preludeSize else {
            throw SyncError(
                .incomplete,
                "\(name) is incomplete: it ends after \(bytes.count) bytes. "
                    + "The copy or download was cut short; copy it again.")
        }
        let version = UInt16(bigEndianBytes: bytes[8..<10])
        let declared = UInt64(bigEndianBytes: bytes[12..<20])
        // A version or length that no publisher writes means a damaged
        // prelude, not a newer program or a cut copy.
        guard version >= 1, declared <= maximumSize else {
            throw SyncError(
                .badSignature,
                "\(name) is damaged: its first bytes are not valid. Nothing was changed. "
                    + "Do not use this file; get a fresh copy.")
        }
        guard version == formatVersion else {
            throw SyncError(
                .unsupportedVersion,
                "\(name) uses format version \(version), which this mrc-syncd cannot read. "
                    + "Ask for an update of the program.")
        }
        if UInt64(bytes.count) < declared {
            throw SyncError(
                .incomplete,
                "\(name) is incomplete: it has \(bytes.count) of \(declared) bytes. "
                    + "The copy or download was cut short; copy it again.")
        }
        guard UInt64(bytes.count) == declared,
              bytes.count >= preludeSize + 4 + 8 + trailerSize
        else {
            throw SyncError(
                .badSignature,
                "\(name) has been altered: its length does not match what it declares. "
                    + "Nothing was changed. Do not use this file.")
        }

        let signedEnd = bytes.count - 64
        let keyID = Data(bytes[(signedEnd - 8)..<signedEnd])
        guard let key = trustedKeys.first(where: { $0.keyID == keyID }) else {
            throw SyncError(
                .untrustedKey,
                "\(name) is signed with a key that is not among the trusted keys "
                    + "(key id \(keyID.hexString)). Nothing was changed. It may be forged; "
                    + "if the central office has a new key, its public key must be added to "
                    + "trusted_keys.")
        }
        guard key.isValidSignature(Data(bytes[signedEnd...]), of: Data(bytes[0..<signedEnd]))
        else {
            throw SyncError(
                .badSignature,
                "\(name) has been altered or damaged: its signature does not match. "
                    + "Nothing was changed. Do not use this file; get a fresh copy.")
        }

        // From here on the bytes are the publisher's; a layout error is a
        // publisher bug, not an attack, but is still refused.
        let malformed = SyncError(.malformed, "\(name) is signed but its layout is broken.")
        let headerLength = Int(UInt32(bigEndianBytes: bytes[20..<24]))
        let payloadLengthAt = 24 + headerLength
        guard payloadLengthAt + 8 <= signedEnd - 8 else { throw malformed }
        let payloadLength = UInt64(bigEndianBytes: bytes[payloadLengthAt..<(payloadLengthAt + 8)])
        let payloadAt = payloadLengthAt + 8
        guard UInt64(signedEnd - 8 - payloadAt) == payloadLength else { throw malformed }
        return SignedFile(
            kind: kind,
            header: Data(bytes[24..<payloadLengthAt]),
            payload: Data(bytes[payloadAt..<(signedEnd - 8)]),
            keyID: keyID)
    }
}

extension Data {
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}

extension FixedWidthInteger {
    init(bigEndianBytes bytes: ArraySlice<UInt8>) {
        self = bytes.reduce(0) { $0 << 8 | Self($1) }
    }
}
