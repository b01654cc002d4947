import Foundation

/// Brings the replica forward with bundles from a file or a directory tree,
/// such as a USB stick: verify everything, plan the cheapest chain to the
/// newest release, apply it one release per transaction, and record the
/// outcome for `status`.
public struct Importer {
    /// Progress for a person watching a terminal.
    public enum Event {
        case scanned(bundles: Int, skipped: Int, refused: Int, incomplete: Int)
        case applying(step: Int, of: Int, BundleHeader, size: Int)
        case applied(BundleHeader)
        /// The search index caught up with a release just applied.
        case indexed(BundleHeader)
        /// The search index, left behind by a crash or a stop, was rebuilt
        /// before anything else.
        case searchIndexRebuilt
    }

    public struct Report: Sendable {
        /// The release before and after the import.
        public var fromRelease: Int
        public var toRelease: Int
        /// The bundles applied, in order.
        public var applied: [BundleHeader]
        /// Verification failures that did not stop the import, e.g. one
        /// forged file on a stick beside good ones.
        public var refused: [SyncError]
        /// Bundles cut short that were left out, e.g. a half-copied file.
        public var incomplete: [SyncError]
        /// The sentences that `status` shows for this import.
        public var message: String

        /// Whether staff should look at the files: something was refused or
        /// left out.
        public var isClean: Bool { refused.isEmpty && incomplete.isEmpty }

        /// The exit status for the command line: the first refusal's code,
        /// else 0.
        public var exitStatus: Int32 { refused.first?.exitStatus ?? 0 }
    }

    let configuration: Configuration
    let logger: Logger
    let onEvent: (Event) -> Void

    public init(
        configuration: Configuration, logger: Logger = .silent,
        onEvent: @escaping (Event) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.onEvent = onEvent
    }

    /// Imports from `path`, then records the outcome in the state file,
    /// whether it worked or not.
    ///
    /// - Throws: the `SyncError` that stopped the import. Releases applied
    ///   before the error stay applied; each was complete and verified.
    public func importBundles(from path: URL) throws -> Report {
        try FileSystem.createDirectory(configuration.stateDirectory)
        guard let lock = try FileLock.tryLock(configuration.applyLockURL) else {
            throw SyncError(
                .busy,
                "Another mrc-syncd is updating the content right now. Try again in a minute.")
        }
        defer { withExtendedLifetime(lock) {} }

        let source = path.path
        do {
            let report = try run(path)
            try record(
                .init(at: Timestamp.format(Date()), source: source, ok: report.isClean,
                      message: report.message, errorCode: report.refused.first?.code.rawValue,
                      partial: report.isClean ? nil : !report.applied.isEmpty),
                needsSnapshot: false, resetSnapshotFlag: !report.applied.isEmpty)
            return report
        } catch let older as OlderBundle {
            // Refused, but nothing is wrong: the centre has newer content.
            logger.notice("import.refused", [("source", source), ("error", older.refusal.message)])
            try? record(
                .init(at: Timestamp.format(Date()), source: source, ok: true,
                      message: older.refusal.message, errorCode: older.refusal.code.rawValue),
                needsSnapshot: false, resetSnapshotFlag: false)
            throw older.refusal
        } catch let error as SyncError {
            logger.error("import.failed", [("source", source), ("error", error.message)])
            try? record(
                .init(at: Timestamp.format(Date()), source: source, ok: false,
                      message: error.message, errorCode: error.code.rawValue),
                needsSnapshot: error.code == .digestMismatch, resetSnapshotFlag: false)
            throw error
        }
    }

    private func run(_ path: URL) throws -> Report {
        // An index left behind by a crash is caught up before anything else.
        if ReleaseInstaller.updateSearchIndex(
            of: configuration.replicaURL, after: nil, logger: logger)
        {
            onEvent(.searchIndexRebuilt)
        }
        let channel = configuration.channel
        let scan = try DirectorySource.scan(
            path, channel: channel, trustedKeys: try configuration.trustedKeys())
        onEvent(.scanned(
            bundles: scan.bundles.count, skipped: scan.skipped.count,
            refused: scan.refused.count, incomplete: scan.incomplete.count))
        for skipped in scan.skipped {
            logger.info("import.skipped", [("file", skipped.path), ("reason", skipped.reason)])
        }
        for refused in scan.refused + scan.incomplete {
            logger.warning("import.refused", [("error", refused.message)])
        }

        let current = try ReleaseInstaller.currentRelease(configuration, logger: logger)
        let needsSnapshot = try SyncState.load(from: configuration.stateURL).needsSnapshot
        let isSingleFile = scan.bundles.count == 1 && scan.root.path == scan.bundles[0].url.path
        if isSingleFile {
            let found = scan.bundles[0]
            if !needsSnapshot, found.header.targetRelease == current.release,
               found.header.contentDigest == current.contentDigest.hex
            {
                return report(current, [], scan, "Release \(current.release) is already installed.")
            }
            // Say why before touching the replica; applying checks again.
            do {
                try found.header.step.checkApplicable(
                    onto: current, channel: channel, repairing: needsSnapshot)
            } catch let error as SyncError
                where error.code == .rollback && found.header.targetRelease < current.release
            {
                throw OlderBundle(refusal: error)
            }
            return try apply([found], from: current, scan: scan, repairing: needsSnapshot)
        }

        // A replica that failed its digest check is repaired only by a
        // snapshot, of its own release or a newer one, so plan as if it were
        // empty, but never move it back.
        let offers = scan.bundles.map(\.offer).filter {
            $0.targetRelease > current.release
                || (needsSnapshot && $0.kind == .snapshot && $0.targetRelease == current.release)
        }
        let chain = ChainPlanner.plan(from: needsSnapshot ? 0 : current.release, offers: offers)
        if chain.isEmpty {
            return try nothingToApply(scan, current: current, needsSnapshot: needsSnapshot)
        }
        let byPath = Dictionary(scan.bundles.map { ($0.url.path, $0) }) { first, _ in first }
        return try apply(
            chain.map { byPath[$0.location]! }, from: current, scan: scan,
            repairing: needsSnapshot)
    }

    private func apply(
        _ chain: [DirectorySource.Found], from current: ReplicaInfo, scan: DirectorySource,
        repairing: Bool
    ) throws -> Report {
        let installer = ReleaseInstaller(
            channel: configuration.channel, trustedKeys: try configuration.trustedKeys(),
            logger: logger)
        var applied = [BundleHeader]()
        for (index, found) in chain.enumerated() {
            onEvent(.applying(step: index + 1, of: chain.count, found.header, size: found.size))
            // A file named on its own is applied as the scan verified it;
            // those of a folder are read and verified again, in case one
            // changed since the scan.
            let repairing = repairing && index == 0
            let (header, update) = try found.verified.map {
                try installer.install($0, into: configuration.replicaURL, repairing: repairing)
            } ?? installer.install(
                FileSystem.read(found.url), name: found.url.path,
                into: configuration.replicaURL, repairing: repairing)
            applied.append(header)
            try ReleaseInstaller.recordInstalled(header.targetRelease, configuration)
            onEvent(.applied(header))
            if ReleaseInstaller.updateSearchIndex(
                of: configuration.replicaURL, after: update, logger: logger)
            {
                onEvent(.indexed(header))
            }
        }
        if let replica = try Replica.openReadOnly(at: configuration.replicaURL) {
            try QueryOutbox(configuration: configuration, logger: logger)
                .applyAcknowledgements(from: replica)
        }
        let releases = applied.map { String($0.targetRelease) }.joined(separator: ", ")
        return report(
            current, applied, scan,
            applied.count == 1 ? "Installed release \(releases)." : "Installed releases \(releases).")
    }

    /// Explains why nothing was applied: nothing there, already current,
    /// only refused or incomplete files, or newer releases that cannot be
    /// reached from this replica.
    private func nothingToApply(_ scan: DirectorySource, current: ReplicaInfo, needsSnapshot: Bool)
        throws -> Report
    {
        guard let newest = scan.bundles.map(\.header.targetRelease).max() else {
            // Only bad files: the first of them is the reason.
            if let problem = scan.refused.first ?? scan.incomplete.first { throw problem }
            return report(
                current, [], scan,
                "No bundles for the channel \(configuration.channel) were found in "
                    + "\(scan.root.path). Nothing was changed.")
        }
        if needsSnapshot {
            throw SyncError(
                .noUsableChain,
                "This centre's content must be repaired with a full snapshot, and "
                    + "\(scan.root.path) holds none of release \(current.release) or newer. "
                    + "Nothing was changed. Ask the central office for a snapshot.")
        }
        if newest <= current.release {
            if let problem = scan.incomplete.first, scan.refused.isEmpty { throw problem }
            return report(
                current, [], scan,
                "Release \(current.release) is already installed; "
                    + "\(scan.root.path) holds nothing newer.")
        }
        throw SyncError(
            .noUsableChain,
            "\(scan.root.path) holds release \(newest), but only as changes from a release "
                + "other than this centre's release \(current.release). Nothing was changed. "
                + "Ask the central office for a full snapshot of release \(newest).")
    }

    /// A report whose message ends with what was refused or left out.
    private func report(
        _ current: ReplicaInfo, _ applied: [BundleHeader], _ scan: DirectorySource,
        _ summary: String
    ) -> Report {
        var message = summary
        if let first = scan.incomplete.first {
            message += " Left out \(scan.incomplete.count) incomplete file(s); the first: "
                + first.message
        }
        if let first = scan.refused.first {
            message += " Refused \(scan.refused.count) file(s); the first: \(first.message)"
        }
        return Report(
            fromRelease: current.release, toRelease: applied.last?.targetRelease ?? current.release,
            applied: applied, refused: scan.refused, incomplete: scan.incomplete, message: message)
    }

    /// A single bundle older than the installed release: refused with
    /// `rollback`, but recorded as no failure. A different bundle of the
    /// installed release itself stays a failure: it hints at two
    /// repositories publishing one channel.
    private struct OlderBundle: Error {
        let refusal: SyncError
    }

    private func record(_ attempt: SyncState.Attempt, needsSnapshot: Bool, resetSnapshotFlag: Bool)
        throws
    {
        try SyncState.update(at: configuration.stateURL) { state in
            state.lastSync = attempt
            if needsSnapshot { state.needsSnapshot = true }
            if resetSnapshotFlag { state.needsSnapshot = false }
        }
    }
}
