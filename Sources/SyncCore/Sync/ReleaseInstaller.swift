import Foundation

/// The last step of every path, USB or network: verify a bundle's bytes
/// again, decompress, apply in one transaction, log.
struct ReleaseInstaller {
    let channel: String
    let trustedKeys: [PublicKey]
    let logger: Logger

    /// - Parameters:
    ///   - repairing: accept a snapshot of the replica's own release, to
    ///     repair a replica that failed its digest check; the snapshot is
    ///     built into a new file that replaces the damaged one.
    ///   - keepGoing: called often while the release is applied; false
    ///     stops it (see `Replica.apply`).
    @discardableResult
    func install(
        _ data: Data, name: String, into replicaURL: URL, repairing: Bool,
        keepGoing: () -> Bool = { true }
    ) throws -> BundleHeader {
        let bundle = try Bundle.open(data, name: name, trustedKeys: trustedKeys)
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
            ("bytes", String(data.count)),
        ])
        return bundle.header
    }
}
