import Foundation

/// A sealed batch of queries: the file that travels to the central office,
/// by HTTP PUT or on a USB stick, as `<centre_id>/<batch_id>.mrcq`.
///
/// ```
/// offset  size  field
///      0     8  magic: 89 4D 52 43 51 0D 0A 1A ("\x89MRCQ\r\n\x1a")
///      8     …  libsodium sealed box to the inbox public key, holding a
///               zlib stream of the batch as JSON
/// ```
///
/// Nothing outside the box names the centre or says how many queries it
/// holds; the path it travels under names the centre and the batch.
public struct QueryBatch: Codable, Equatable, Sendable {
    public static let fileExtension = "mrcq"
    static let magic: [UInt8] = [0x89, 0x4D, 0x52, 0x43, 0x51, 0x0D, 0x0A, 0x1A]
    /// Far more than a batch of questions can hold.
    static let maximumPlainSize = 64 << 20

    public struct Query: Codable, Equatable, Sendable {
        public var loggedAt: String
        public var lang: String?
        public var topic: String?
        public var channel: String
        public var text: String
        public var convertedFrom: String?
        public var redactions: Int

        enum CodingKeys: String, CodingKey {
            case lang, topic, channel, text, redactions
            case loggedAt = "logged_at"
            case convertedFrom = "converted_from"
        }
    }

    public var format = 1
    public var centreID: String
    public var batchID: String
    public var sealedAt: String
    public var queries: [Query]

    enum CodingKeys: String, CodingKey {
        case format, queries
        case centreID = "centre_id"
        case batchID = "batch_id"
        case sealedAt = "sealed_at"
    }

    /// A fresh random batch id: 32 hexadecimal digits.
    static func newID() -> String {
        Sodium.randomBytes(16).hexString
    }

    /// The path a batch travels under, relative to an upload folder.
    public static func relativePath(centreID: String, batchID: String) -> String {
        "\(centreID)/\(batchID).\(fileExtension)"
    }

    public func sealed(to inbox: InboxPublicKey) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(self)
        // The plain size comes first, so that opening can bound the
        // decompressor's output.
        var sizePrefixed = Data()
        sizePrefixed.appendBigEndian(UInt64(json.count))
        sizePrefixed.append(try Deflate.compress(json))
        return Data(Self.magic) + inbox.seal(sizePrefixed)
    }

    /// Opens a batch file with the inbox key.
    ///
    /// - Throws: `SyncError(.malformed)` for a file that is not a batch, was
    ///   sealed to another key, or was altered.
    public static func open(_ data: Data, name: String, inbox: InboxKeyPair) throws -> QueryBatch {
        guard data.count > magic.count, [UInt8](data.prefix(magic.count)) == magic else {
            throw SyncError(.notABundle, "\(name) is not a query batch.")
        }
        guard let opened = inbox.open(data.dropFirst(magic.count)), opened.count >= 8 else {
            throw SyncError(
                .badSignature,
                "\(name) cannot be opened with this inbox key: it was sealed to another key, "
                    + "or altered.")
        }
        let declared = UInt64(bigEndianBytes: [UInt8](opened.prefix(8))[...])
        do {
            guard declared <= UInt64(maximumPlainSize) else { throw DeflateError.corrupt }
            let size = Int(declared)
            let json = try Deflate.decompress(opened.dropFirst(8), expectedSize: size)
            let batch = try JSONDecoder().decode(QueryBatch.self, from: json)
            guard batch.format == 1 else {
                throw SyncError(
                    .unsupportedVersion, "\(name) uses batch format \(batch.format).")
            }
            return batch
        } catch let error as SyncError {
            throw error
        } catch {
            throw SyncError(.malformed, "\(name) opened, but its contents cannot be read.")
        }
    }
}
