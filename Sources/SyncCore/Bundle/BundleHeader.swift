import Foundation

/// The signed JSON header of a bundle. Field names are snake_case on disk;
/// see docs/bundle-format.md.
public struct BundleHeader: Codable, Equatable, Sendable {
    public var channel: String
    public var kind: ReleaseUpdate.Kind
    /// 0 for a snapshot.
    public var baseRelease: Int
    public var targetRelease: Int
    /// ISO 8601, UTC.
    public var publishedAt: String
    public var schemaVersion: Int
    public var schemaStatements: [String]
    /// Hexadecimal `ContentDigest` of the content after applying.
    public var contentDigest: String
    /// What the compressed payload holds; "sqlite-patchset" in this version.
    public var payloadFormat: String
    /// "zlib" in this version.
    public var payloadCompression: String
    public var uncompressedSize: Int

    static let patchsetFormat = "sqlite-patchset"
    static let zlibCompression = "zlib"

    enum CodingKeys: String, CodingKey {
        case channel, kind
        case baseRelease = "base_release"
        case targetRelease = "target_release"
        case publishedAt = "published_at"
        case schemaVersion = "schema_version"
        case schemaStatements = "schema_statements"
        case contentDigest = "content_digest"
        case payloadFormat = "payload_format"
        case payloadCompression = "payload_compression"
        case uncompressedSize = "uncompressed_size"
    }

    /// The bundle's file name in a repository: the channel, the releases it
    /// spans and its kind, e.g. `mm-main-4-5.delta.mrcb`.
    public var fileName: String {
        switch kind {
        case .snapshot: return "\(channel)-\(targetRelease).snapshot.mrcb"
        case .delta: return "\(channel)-\(baseRelease)-\(targetRelease).delta.mrcb"
        }
    }
}

extension BundleHeader {
    /// What the header says about where the bundle may be applied.
    public var step: ReleaseStep {
        ReleaseStep(
            kind: kind, channel: channel, baseRelease: baseRelease, targetRelease: targetRelease,
            schemaVersion: schemaVersion)
    }
}
