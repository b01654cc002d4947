import Foundation

/// The signed list of a repository's bundles, so that a client can plan
/// the cheapest chain before downloading anything and check each download
/// against a size and a hash.
public struct RepositoryIndex: Codable, Equatable, Sendable {
    public static let fileName = "index.mrci"

    public struct Entry: Codable, Equatable, Sendable {
        public var file: String
        public var kind: ReleaseUpdate.Kind
        public var baseRelease: Int
        public var targetRelease: Int
        public var size: Int
        /// Hexadecimal SHA-256 of the whole bundle file.
        public var sha256: String
        public var publishedAt: String

        enum CodingKeys: String, CodingKey {
            case file, kind, size, sha256
            case baseRelease = "base_release"
            case targetRelease = "target_release"
            case publishedAt = "published_at"
        }
    }

    public var channel: String
    public var latestRelease: Int
    /// ISO 8601, UTC: when the index was signed.
    public var generatedAt: String
    public var bundles: [Entry]

    enum CodingKeys: String, CodingKey {
        case channel, bundles
        case latestRelease = "latest_release"
        case generatedAt = "generated_at"
    }

    public static func open(_ data: Data, name: String, trustedKeys: [PublicKey]) throws
        -> RepositoryIndex
    {
        let file = try SignedFile.open(data, kind: .index, name: name, trustedKeys: trustedKeys)
        do {
            return try JSONDecoder().decode(RepositoryIndex.self, from: file.header)
        } catch {
            throw SyncError(.malformed, "\(name) is signed but cannot be read.")
        }
    }

    public func sealed(key: SigningKey) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return SignedFile.seal(
            kind: .index, header: try encoder.encode(self), payload: Data(), key: key)
    }
}
