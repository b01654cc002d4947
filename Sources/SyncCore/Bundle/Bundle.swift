import Foundation

/// A verified bundle: one signed, compressed step from a release (or from
/// nothing) to a later one.
public struct Bundle: Sendable {
    public static let fileExtension = "mrcb"

    public let header: BundleHeader
    public let compressedPayload: Data
    /// The size of the whole file in bytes.
    public let size: Int
    public let name: String

    /// Verifies `data` against the trusted keys and reads its header.
    /// Nothing in the file is trusted, or even parsed beyond its prelude,
    /// before the signature checks out.
    public static func open(_ data: Data, name: String, trustedKeys: [PublicKey]) throws -> Bundle {
        let file = try SignedFile.open(data, kind: .bundle, name: name, trustedKeys: trustedKeys)
        let header: BundleHeader
        do {
            header = try JSONDecoder().decode(BundleHeader.self, from: file.header)
        } catch {
            throw SyncError(.malformed, "\(name) is signed but its header cannot be read.")
        }
        guard header.payloadFormat == BundleHeader.patchsetFormat,
              header.payloadCompression == BundleHeader.zlibCompression
        else {
            throw SyncError(
                .unsupportedVersion,
                "\(name) holds \(header.payloadFormat) data compressed with "
                    + "\(header.payloadCompression), which this mrc-syncd cannot read.")
        }
        guard header.targetRelease > header.baseRelease, header.baseRelease >= 0,
              (header.kind == .snapshot) == (header.baseRelease == 0),
              header.uncompressedSize >= 0,
              // Deflate cannot expand more than about 1032 to 1; a larger
              // claim would only make us allocate memory for nothing.
              header.uncompressedSize <= file.payload.count * 1_100 + 1_024,
              Timestamp.parse(header.publishedAt) != nil,
              ContentDigest(hex: header.contentDigest) != nil
        else {
            throw SyncError(.malformed, "\(name) is signed but its header is inconsistent.")
        }
        return Bundle(header: header, compressedPayload: file.payload, size: data.count, name: name)
    }

    /// Reads and verifies the bundle file at `url`.
    public static func open(at url: URL, trustedKeys: [PublicKey]) throws -> Bundle {
        try open(FileSystem.read(url), name: url.path, trustedKeys: trustedKeys)
    }

    /// The update the replica applies. Its patchset is inflated from the
    /// payload on a thread of its own, as it is applied; a damaged payload
    /// is reported (`malformed`) by whatever reads the patchset first.
    public func releaseUpdate() throws -> ReleaseUpdate {
        let patchset = Patchset(
            inflating: compressedPayload, expectedSize: header.uncompressedSize, name: name)
        return ReleaseUpdate(
            kind: header.kind,
            channel: header.channel,
            baseRelease: header.baseRelease,
            targetRelease: header.targetRelease,
            publishedAt: Timestamp.parse(header.publishedAt)!,
            schemaVersion: header.schemaVersion,
            schemaStatements: header.schemaStatements,
            contentDigest: ContentDigest(hex: header.contentDigest)!,
            patchset: patchset)
    }

    /// Compresses and signs an update into the bytes of a bundle file.
    public static func seal(_ update: ReleaseUpdate, key: SigningKey) throws -> Data {
        let header = BundleHeader(
            channel: update.channel,
            kind: update.kind,
            baseRelease: update.baseRelease,
            targetRelease: update.targetRelease,
            publishedAt: Timestamp.format(update.publishedAt),
            schemaVersion: update.schemaVersion,
            schemaStatements: update.schemaStatements,
            contentDigest: update.contentDigest.hex,
            payloadFormat: BundleHeader.patchsetFormat,
            payloadCompression: BundleHeader.zlibCompression,
            uncompressedSize: update.patchset.bytes.count)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let payload = try Deflate.compress(update.patchset.bytes)
        return SignedFile.seal(
            kind: .bundle, header: try encoder.encode(header), payload: payload, key: key)
    }
}
