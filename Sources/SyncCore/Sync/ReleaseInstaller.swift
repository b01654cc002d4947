import Foundation

/// The last step of every path, USB or network: verify a bundle's bytes
/// again, decompress, apply in one transaction, log.
struct ReleaseInstaller {
    let channel: String
    let trustedKeys: [PublicKey]
    let logger: Logger

    /// - Parameters:
    ///   - repairing: accept a snapshot of the replica's own release, to
    ///     repair a replica that failed its digest check.
    ///   - keepGoing: called often while the release is applied; false
    ///     stops it (see `Replica.apply`).
    @discardableResult
    func install(
        _ data: Data, name: String, into replica: Replica, repairing: Bool,
        keepGoing: () -> Bool = { true }
    ) throws -> BundleHeader {
        let bundle = try Bundle.open(data, name: name, trustedKeys: trustedKeys)
        CrashPoint.verified.reach()
        try replica.apply(
            try bundle.releaseUpdate(), channel: channel, repairing: repairing,
            keepGoing: keepGoing)
        logger.notice("bundle.applied", [
            ("release", String(bundle.header.targetRelease)),
            ("bundle", bundle.header.fileName),
            ("bytes", String(data.count)),
        ])
        return bundle.header
    }
}
