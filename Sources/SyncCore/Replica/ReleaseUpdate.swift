import Foundation

/// One step of the replica from a release to a later one, as a verified
/// bundle describes it. The replica applies it all or nothing.
public struct ReleaseUpdate: Sendable {
    public enum Kind: String, Sendable, Codable {
        /// Replaces the whole content; applies onto any older release.
        case snapshot
        /// Changes rows; applies only onto exactly `baseRelease`.
        case delta
    }

    public var kind: Kind
    public var channel: String
    /// 0 for a snapshot.
    public var baseRelease: Int
    public var targetRelease: Int
    public var publishedAt: Date
    public var schemaVersion: Int
    /// SQL run before the patchset: the whole schema for a snapshot, a
    /// migration for a delta that raises the schema version, else nothing.
    public var schemaStatements: [String]
    public var contentDigest: ContentDigest
    public var patchset: Patchset

    public init(
        kind: Kind, channel: String, baseRelease: Int, targetRelease: Int, publishedAt: Date,
        schemaVersion: Int, schemaStatements: [String], contentDigest: ContentDigest,
        patchset: Patchset
    ) {
        self.kind = kind
        self.channel = channel
        self.baseRelease = baseRelease
        self.targetRelease = targetRelease
        self.publishedAt = publishedAt
        self.schemaVersion = schemaVersion
        self.schemaStatements = schemaStatements
        self.contentDigest = contentDigest
        self.patchset = patchset
    }
}

/// What the replica holds: which release of which channel.
public struct ReplicaInfo: Equatable, Sendable {
    public var channel: String?
    /// 0 before the first release is applied.
    public var release: Int
    public var publishedAt: Date?
    public var appliedAt: Date?
    public var schemaVersion: Int
    public var contentDigest: ContentDigest

    public static let empty = ReplicaInfo(
        channel: nil, release: 0, publishedAt: nil, appliedAt: nil, schemaVersion: 0,
        contentDigest: .empty)
}
