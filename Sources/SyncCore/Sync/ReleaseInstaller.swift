import Foundation

/// The last step of every path, USB or network: verify a bundle's bytes
/// again, decompress, apply in one transaction, log.
struct ReleaseInstaller {
    let channel: String
    let trustedKeys: [PublicKey]
    let logger: Logger

    /// The release the replica holds, for planning what to install.
    ///
    /// A replica too damaged to say (its first pages or its `replica_meta`
    /// unreadable), or one that went missing or empty after releases were
    /// installed, is taken as holding the newest release ever installed
    /// here, and the state file is marked so that only a snapshot of that
    /// release or a newer one is installed, into a new file.
    static func currentRelease(_ configuration: Configuration, logger: Logger) throws
        -> ReplicaInfo
    {
        let installed = try SyncState.load(from: configuration.stateURL).installedRelease ?? 0
        var lost = ReplicaInfo.empty
        lost.release = installed
        do {
            let info = try Replica.openReadOnly(at: configuration.replicaURL)?.info() ?? .empty
            guard info.release == 0, installed > 0 else { return info }
            logger.warning("replica.missing", [("release", String(installed))])
        } catch let error as SyncError where error.code == .digestMismatch {
            logger.warning("replica.unreadable", [("error", error.message)])
        }
        try SyncState.update(at: configuration.stateURL) { $0.needsSnapshot = true }
        return lost
    }

    /// Remembers that `release` is installed, as the floor for later.
    static func recordInstalled(_ release: Int, _ configuration: Configuration) throws {
        try SyncState.update(at: configuration.stateURL) {
            $0.installedRelease = max($0.installedRelease ?? 0, release)
        }
    }

    /// - Parameters:
    ///   - repairing: accept a snapshot of the replica's own release, to
    ///     repair a replica that failed its digest check; the snapshot is
    ///     built into a new file that replaces the damaged one.
    ///   - keepGoing: called often while the release is applied; false
    ///     stops it (see `Replica.apply`).
    /// - Returns: the bundle's header and its release, for
    ///   `updateSearchIndex(of:after:logger:keepGoing:)`.
    @discardableResult
    func install(
        _ data: Data, name: String, into replicaURL: URL, repairing: Bool,
        keepGoing: () -> Bool = { true }
    ) throws -> (header: BundleHeader, update: ReleaseUpdate) {
        try install(
            Bundle.open(data, name: name, trustedKeys: trustedKeys), into: replicaURL,
            repairing: repairing, keepGoing: keepGoing)
    }

    /// Installs a bundle already opened, and so verified, by `Bundle.open`.
    @discardableResult
    func install(
        _ bundle: Bundle, into replicaURL: URL, repairing: Bool,
        keepGoing: () -> Bool = { true }
    ) throws -> (header: BundleHeader, update: ReleaseUpdate) {
        CrashPoint.verified.reach()
        let update = try bundle.releaseUpdate()
        if repairing && update.kind == .snapshot {
            try Replica.rebuild(
                at: replicaURL, applying: update, channel: channel, keepGoing: keepGoing)
        } else {
            do {
                try Replica.openForWriting(at: replicaURL).apply(
                    update, channel: channel, repairing: repairing, keepGoing: keepGoing)
            } catch let error as SyncError where error.code == .digestMismatch
                && update.kind == .snapshot
            {
                // A snapshot that does not fit may have met damaged pages
                // of the old replica: built into a new file it may still.
                // If it fails there too, the error is the snapshot's own.
                logger.warning("replica.rebuilding", [
                    ("release", String(update.targetRelease)), ("error", error.message),
                ])
                try Replica.rebuild(
                    at: replicaURL, applying: update, channel: channel, keepGoing: keepGoing)
            }
        }
        logger.notice("bundle.applied", [
            ("release", String(bundle.header.targetRelease)),
            ("bundle", bundle.header.fileName),
            ("bytes", String(bundle.size)),
        ])
        return (bundle.header, update)
    }

    /// Brings the search index up to the installed release, after the
    /// release's own transaction; `update` is the release just installed,
    /// if any. The release is installed whatever happens here: a failure
    /// is logged, and the next call (the next start, sync or import)
    /// rebuilds the index. `starting` is called when there is work to
    /// do, before it begins. Returns true if the index changed.
    @discardableResult
    static func updateSearchIndex(
        of replicaURL: URL, after update: ReleaseUpdate?, logger: Logger,
        starting: () -> Void = {}, keepGoing: () -> Bool = { true }
    ) -> Bool {
        // A replica that cannot be read is reported by whatever reads it
        // next; the index waits until it is repaired.
        guard (try? Replica.openReadOnly(at: replicaURL)?.searchIndexIsBehind()) == true else {
            return false
        }
        starting()
        do {
            let started = Date()
            let replica = try Replica.openForWriting(at: replicaURL)
            if try replica.updateSearchIndex(after: update, keepGoing: keepGoing) {
                logger.info("search.indexed", [
                    ("release", String(try replica.info().release)),
                    ("seconds", String(format: "%.2f", Date().timeIntervalSince(started))),
                ])
                return true
            }
        } catch {
            logger.warning("search.behind", [
                ("error", (error as? SyncError)?.message ?? "\(error)"),
            ])
        }
        return false
    }
}
