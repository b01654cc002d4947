import Foundation

/// What the daemon and the import command remember between runs, apart from
/// the replica itself: the outcome of the last import or sync. It lives in
/// `state.json` in the state directory, replaced atomically, so `status`
/// can read it without touching the replica and a refused bundle leaves the
/// replica's file exactly as it was.
public struct SyncState: Codable, Equatable, Sendable {
    public static let fileName = "state.json"

    public struct Attempt: Codable, Equatable, Sendable {
        /// ISO 8601, UTC.
        public var at: String
        /// Where bundles came from: a path or a URL.
        public var source: String
        public var ok: Bool
        /// What happened, in plain words.
        public var message: String
        /// The `SyncError` code on failure.
        public var errorCode: Int32?
        /// Not ok, but something was installed: some files were refused or
        /// incomplete beside the ones that worked.
        public var partial: Bool?

        enum CodingKeys: String, CodingKey {
            case at, source, ok, message, partial
            case errorCode = "error_code"
        }

        public init(
            at: String, source: String, ok: Bool, message: String, errorCode: Int32?,
            partial: Bool? = nil
        ) {
            self.at = at
            self.source = source
            self.ok = ok
            self.message = message
            self.errorCode = errorCode
            self.partial = partial
        }
    }

    public var lastSync: Attempt?
    /// Set when a signed release did not match the replica: only a snapshot
    /// can repair it.
    public var needsSnapshot: Bool = false
    /// The newest release ever installed here. A replica that went missing
    /// or cannot be read lets no older release in.
    public var installedRelease: Int?
    public var network = NetworkState()

    enum CodingKeys: String, CodingKey {
        case lastSync = "last_sync"
        case needsSnapshot = "needs_snapshot"
        case installedRelease = "installed_release"
        case network
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        lastSync = try container.decodeIfPresent(Attempt.self, forKey: .lastSync)
        needsSnapshot = try container.decodeIfPresent(Bool.self, forKey: .needsSnapshot) ?? false
        installedRelease = try container.decodeIfPresent(Int.self, forKey: .installedRelease)
        network = try container.decodeIfPresent(NetworkState.self, forKey: .network) ?? NetworkState()
    }

    /// Reads the state; a missing file is a fresh state, and so is a
    /// damaged one: it holds only history, which must never stop content
    /// updates. `repair` moves a damaged file aside for a writer.
    public static func load(from url: URL, repair: Bool = false) throws -> SyncState {
        guard FileManager.default.fileExists(atPath: url.path) else { return SyncState() }
        let data = try FileSystem.read(url)
        if let state = try? JSONDecoder().decode(SyncState.self, from: data) { return state }
        if repair {
            let aside = url.appendingPathExtension("damaged")
            try? FileManager.default.removeItem(at: aside)
            try? FileManager.default.moveItem(at: url, to: aside)
        }
        return SyncState()
    }

    /// Loads the state, lets `body` change it, and saves it atomically.
    public static func update(at url: URL, _ body: (inout SyncState) -> Void) throws {
        var state = try load(from: url, repair: true)
        body(&state)
        try state.save(to: url)
    }

    public func save(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileSystem.writeAtomically(try encoder.encode(self), to: url)
    }
}
