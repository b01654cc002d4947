import Foundation

/// The central office's side: turns a content directory into the next
/// release of a channel's repository.
///
/// Each release gets a snapshot, which any centre can apply, and deltas
/// onto it from the releases 1, 2, 4, 8, 16, 32 and 64 before it, so a
/// centre that is k releases behind reaches the newest one in about log₂ k
/// small steps, or one snapshot if that is cheaper. The repository itself
/// is the publisher's memory: earlier releases are rebuilt from their
/// snapshots, so there is no other state to lose or keep in step.
public struct Publisher {
    public enum Outcome: Equatable, Sendable {
        case published(release: Int, files: [String])
        case unchanged(release: Int)
    }

    public static let deltaDistances = [1, 2, 4, 8, 16, 32, 64]

    public let repository: URL
    public let key: SigningKey
    public let channel: String
    let logger: Logger

    public init(repository: URL, key: SigningKey, channel: String, logger: Logger = .silent) throws {
        guard Naming.isValidName(channel) else {
            throw SyncError(.usage, "The channel name \"\(channel)\" may hold only a-z, 0-9 and -.")
        }
        self.repository = repository
        self.key = key
        self.channel = channel
        self.logger = logger
    }

    /// Validates `content` and publishes it, with acknowledgements of the
    /// query batches received, as the next release, unless both equal the
    /// latest release.
    public func release(
        content: URL, acknowledgements: [ContentSet.Acknowledgement] = [], now: Date = Date()
    ) throws -> Outcome {
        var contentSet = try ContentSet.load(from: content)
        contentSet.acknowledge(acknowledgements)
        try FileSystem.createDirectory(repository)
        guard let lock = try FileLock.tryLock(repository.appendingPathComponent(".publish.lock"))
        else {
            throw SyncError(.busy, "Another mrc-publish is writing to \(repository.path).")
        }
        defer { withExtendedLifetime(lock) {} }

        let index = try loadIndex()
        let workspace = try Workspace()
        let release = try workspace.database("release")
        try contentSet.write(into: release)
        let digest = try release.contentDigest()

        let latest = index?.latestRelease ?? 0
        let snapshots = Dictionary(
            (index?.bundles ?? []).filter { $0.kind == .snapshot }.map { ($0.targetRelease, $0) }
        ) { first, _ in first }
        if let previous = snapshots[latest],
           try openBundle(previous.file).header.contentDigest == digest.hex
        {
            return .unchanged(release: latest)
        }

        let target = latest + 1
        var update = ReleaseUpdate(
            kind: .snapshot, channel: channel, baseRelease: 0, targetRelease: target,
            publishedAt: now, schemaVersion: ContentSchema.version,
            schemaStatements: ContentSchema.statements, contentDigest: digest,
            patchset: try diff(release, against: workspace.emptyContentDatabase()))
        let snapshot = try Bundle.seal(update, key: key)
        var written = [(BundleHeader, Data)]()
        written.append((try Bundle.open(snapshot, name: "new", trustedKeys: [key.publicKey]).header,
                        snapshot))

        for distance in Self.deltaDistances where target - distance >= 1 {
            let base = target - distance
            // Schema changes travel only in snapshots.
            guard let baseSnapshot = snapshots[base],
                  try openBundle(baseSnapshot.file).header.schemaVersion == ContentSchema.version
            else { continue }
            let baseDatabase = try rebuild(baseSnapshot, in: workspace)
            update.kind = .delta
            update.baseRelease = base
            update.schemaStatements = []
            update.patchset = try diff(release, against: baseDatabase)
            let delta = try Bundle.seal(update, key: key)
            // A delta bigger than the snapshot is never the cheapest path.
            guard delta.count < snapshot.count else { continue }
            written.append((try Bundle.open(delta, name: "new", trustedKeys: [key.publicKey]).header,
                            delta))
        }

        var entries = (index?.bundles ?? [])
        for (header, data) in written {
            try FileSystem.writeAtomically(data, to: repository.appendingPathComponent(header.fileName))
            entries.removeAll { $0.file == header.fileName }
            entries.append(RepositoryIndex.Entry(
                file: header.fileName, kind: header.kind, baseRelease: header.baseRelease,
                targetRelease: header.targetRelease, size: data.count,
                sha256: Hash.sha256(data).hexString, publishedAt: header.publishedAt))
            logger.notice("bundle.published", [
                ("release", String(target)), ("bundle", header.fileName),
                ("bytes", String(data.count)),
            ])
        }
        entries.sort { ($0.targetRelease, $0.baseRelease) < ($1.targetRelease, $1.baseRelease) }
        // The index goes last: until it is replaced, clients see the old
        // release, whose bundles are all still in place.
        let newIndex = RepositoryIndex(
            channel: channel, latestRelease: target, generatedAt: Timestamp.format(now),
            bundles: entries)
        try FileSystem.writeAtomically(
            try newIndex.sealed(key: key),
            to: repository.appendingPathComponent(RepositoryIndex.fileName))
        return .published(release: target, files: written.map(\.0.fileName))
    }

    private func loadIndex() throws -> RepositoryIndex? {
        let url = repository.appendingPathComponent(RepositoryIndex.fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let index: RepositoryIndex
        do {
            index = try RepositoryIndex.open(
                FileSystem.read(url), name: url.path, trustedKeys: [key.publicKey])
        } catch let error as SyncError where error.code == .untrustedKey {
            // A repository is read with the key that publishes to it, so a
            // change of signing key starts a new repository: carrying one
            // on would need the old public key as well, which nothing here
            // takes, and centres pinning the old key would refuse the new
            // releases anyway until their trusted_keys list both.
            throw SyncError(
                .untrustedKey,
                "The repository \(repository.path) was signed with another key than "
                    + "\(PublisherKeys.signingSecret) given with --key. Use the key that "
                    + "published it, or start a new repository.")
        }
        guard index.channel == channel else {
            throw SyncError(
                .wrongChannel,
                "\(repository.path) holds the channel \"\(index.channel)\", not \"\(channel)\".")
        }
        return index
    }

    private func openBundle(_ file: String) throws -> Bundle {
        try Bundle.open(at: repository.appendingPathComponent(file), trustedKeys: [key.publicKey])
    }

    /// Rebuilds an earlier release from its snapshot, checking its digest
    /// on the way, as a centre would.
    private func rebuild(_ entry: RepositoryIndex.Entry, in workspace: Workspace) throws -> URL {
        let url = workspace.url("release-\(entry.targetRelease).sqlite")
        let replica = try Replica.openForWriting(at: url)
        try replica.apply(try openBundle(entry.file).releaseUpdate(), channel: channel)
        return url
    }

    /// The patchset that turns the content of the database at `base` into
    /// that of `release`, in key order: smaller once compressed, and
    /// quicker to apply.
    private func diff(_ release: Database, against base: URL) throws -> Patchset {
        try release.run("ATTACH DATABASE ? AS base", [.text(base.path)])
        defer { try? release.execute("DETACH DATABASE base") }
        return try Patchset.diff(in: release, from: "base", tables: ContentSchema.tableNames)
            .orderedByKey()
    }
}

/// A private temporary folder for the databases of one publication,
/// removed when the value goes away.
private final class Workspace {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("mrc-publish-\(UUID().uuidString)")
        try FileSystem.createDirectory(root)
    }

    deinit {
        try? FileManager.default.removeItem(at: root)
    }

    func url(_ name: String) -> URL {
        root.appendingPathComponent(name)
    }

    /// A scratch database: nothing in it needs to survive a crash.
    func database(_ name: String) throws -> Database {
        let database = try Database(path: url("\(name).sqlite").path)
        try database.execute("PRAGMA synchronous = OFF")
        return database
    }

    /// A database with the content schema and no rows: the base of a
    /// snapshot.
    func emptyContentDatabase() throws -> URL {
        let url = url("empty.sqlite")
        let database = try Database(path: url.path)
        for statement in ContentSchema.statements { try database.execute(statement) }
        return url
    }
}
