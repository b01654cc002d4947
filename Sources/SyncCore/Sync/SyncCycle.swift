import Foundation

/// One pull from the repository over HTTP: poll the signed index, download
/// the cheapest chain of bundles to the newest release, verify and apply
/// each, and record what happened for `status`.
///
/// Everything a server sends is checked before it counts: the index's
/// signature and channel, that it is not older than one seen before, each
/// download's size and SHA-256 from the index, and each bundle's own
/// signature and digest. A failure leaves the replica at its last good
/// release and keeps partial downloads for the next attempt.
public struct SyncCycle {
    public struct Outcome: Sendable {
        public var fromRelease: Int
        public var toRelease: Int
        public var applied: [BundleHeader]
        /// Body bytes received, index and bundles together.
        public var bytesReceived: Int
        public var message: String
    }

    /// The index may not exceed this; a real one is a few kilobytes.
    static let maximumIndexSize = 4 << 20

    let configuration: Configuration
    let settings: NetworkSettings
    let client: HTTPClient
    let logger: Logger
    let now: @Sendable () -> Date
    /// Polled during transfers; false stops them (shutdown, window closed).
    let shouldContinue: () -> Bool
    /// What the cycle is doing, in plain words, for `status` and systemd.
    let onActivity: (String) -> Void
    /// Called often while a release is applied; false stops the apply,
    /// which then rolls back (see `Replica.apply`).
    let whileInstalling: () -> Bool

    public init(
        configuration: Configuration, logger: Logger = .silent,
        now: @escaping @Sendable () -> Date = { Date() },
        shouldContinue: @escaping () -> Bool = { true },
        onActivity: @escaping (String) -> Void = { _ in },
        whileInstalling: @escaping () -> Bool = { true }
    ) throws {
        guard let settings = configuration.network else {
            throw SyncError(
                .noRepository,
                "No repo_url is set in the configuration, so this centre has no network "
                    + "source. Bring content on a USB stick, or set repo_url.")
        }
        self.configuration = configuration
        self.settings = settings
        self.client = HTTPClient(limits: settings.limits)
        self.logger = logger
        self.now = now
        self.shouldContinue = shouldContinue
        self.onActivity = onActivity
        self.whileInstalling = whileInstalling
    }

    /// Runs the cycle, content first and then visitor queries, and records
    /// its outcome in the state file, whether it worked or not. A failed
    /// pull does not keep queries from being uploaded, nor the reverse.
    public func run() throws -> Outcome {
        let outcome: Outcome
        do {
            outcome = try pullAndRecord()
        } catch {
            try? uploadQueries()
            throw error
        }
        try uploadQueries()
        return outcome
    }

    private func uploadQueries() throws {
        guard configuration.uploadURL != nil else { return }
        onActivity("Sending visitor questions to the central office")
        do {
            try QueryOutbox(configuration: configuration, logger: logger, now: now)
                .upload(client: client, shouldContinue: shouldContinue)
            try SyncState.update(at: configuration.stateURL) { $0.network.uploadProblem = nil }
        } catch {
            logger.warning("queries.upload_failed", [("error", "\(error)")])
            try? SyncState.update(at: configuration.stateURL) {
                $0.network.uploadProblem = "\(error)"
            }
            throw error
        }
    }

    private func pullAndRecord() throws -> Outcome {
        try FileSystem.createDirectory(configuration.downloadsURL)
        let source = settings.repositoryURL.absoluteString
        do {
            let outcome = try pull()
            try SyncState.update(at: configuration.stateURL) { state in
                state.lastSync = .init(
                    at: Timestamp.format(now()), source: source, ok: true,
                    message: outcome.message, errorCode: nil)
                if !outcome.applied.isEmpty { state.needsSnapshot = false }
            }
            return outcome
        } catch let error as TransportError where error.kind == .cancelled {
            // Stopped on purpose (shutdown, window closed): not a failure
            // for status to report, and the partial download is kept.
            throw error
        } catch {
            let code = (error as? SyncError)?.code ?? .network
            let message = (error as? SyncError)?.message ?? "\(error)"
            logger.error("sync.failed", [("source", source), ("error", message)])
            try? SyncState.update(at: configuration.stateURL) { state in
                state.lastSync = .init(
                    at: Timestamp.format(now()), source: source, ok: false, message: message,
                    errorCode: code.rawValue)
                if code == .digestMismatch { state.needsSnapshot = true }
            }
            throw error
        }
    }

    private func pull() throws -> Outcome {
        try catchUpSearchIndex()
        let current = try ReleaseInstaller.currentRelease(configuration, logger: logger)
        var state = try SyncState.load(from: configuration.stateURL)
        try checkBudget(state, needing: 0)

        onActivity("Checking \(settings.repositoryURL.host ?? "the repository") for new content")
        var received = 0
        let index = try fetchIndex(&state, current: current, received: &received)

        let offers = index.bundles
            .map {
                BundleOffer(
                    kind: $0.kind, baseRelease: $0.baseRelease, targetRelease: $0.targetRelease,
                    size: $0.size, location: $0.file)
            }
            .filter {
                $0.targetRelease > current.release
                    || (state.needsSnapshot && $0.kind == .snapshot
                        && $0.targetRelease == current.release)
            }
        let chain = ChainPlanner.plan(
            from: state.needsSnapshot ? 0 : current.release, offers: offers)
        if chain.isEmpty {
            if index.latestRelease > current.release {
                throw SyncError(
                    .noUsableChain,
                    "The repository has release \(index.latestRelease), but no bundle leads "
                        + "there from this centre's release \(current.release).")
            }
            return Outcome(
                fromRelease: current.release, toRelease: current.release, applied: [],
                bytesReceived: received,
                message: "Release \(current.release) is current; the repository has nothing newer.")
        }

        var applied = [BundleHeader]()
        for (step, offer) in chain.enumerated() {
            let entry = index.bundles.first { $0.file == offer.location }!
            // A download that cannot finish within this month's budget is
            // not started: half a bundle is of no use to anyone.
            let have = (try? FileManager.default.attributesOfItem(
                atPath: partialURL(entry).path)[.size] as? Int) ?? 0
            try checkBudget(state, needing: max(0, entry.size - have))
            let data = try download(entry, state: &state, received: &received)
            onActivity("Installing release \(entry.targetRelease)")
            applied.append(try install(
                data, name: entry.file, repairing: state.needsSnapshot && step == 0))
            try? FileManager.default.removeItem(at: partialURL(entry))
        }
        if let replica = try Replica.openReadOnly(at: configuration.replicaURL) {
            try QueryOutbox(configuration: configuration, logger: logger, now: now)
                .applyAcknowledgements(from: replica)
        }
        let target = applied.last!.targetRelease
        return Outcome(
            fromRelease: current.release, toRelease: target, applied: applied,
            bytesReceived: received,
            message: applied.count == 1
                ? "Installed release \(target)."
                : "Installed releases \(applied.map { String($0.targetRelease) }.joined(separator: ", ")).")
    }

    /// Fetches the index if it changed, or reads the verified copy kept
    /// from an earlier poll if the server says it did not.
    private func fetchIndex(_ state: inout SyncState, current: ReplicaInfo, received: inout Int)
        throws -> RepositoryIndex
    {
        let url = settings.repositoryURL.appendingPathComponent(RepositoryIndex.fileName)
        let cached = configuration.stateDirectory.appendingPathComponent(RepositoryIndex.fileName)
        let keys = try configuration.trustedKeys()
        // Validators only mean something to the server that gave them. An
        // ETag is preferred: a file restored from a backup has an older
        // date, which "If-Modified-Since" takes for unchanged, but a new
        // ETag. The date is sent only to servers that give no ETag.
        var headers = [String]()
        if FileManager.default.fileExists(atPath: cached.path),
           state.network.indexURL == url.absoluteString
        {
            if let etag = state.network.indexETag {
                headers.append("If-None-Match: \(etag)")
            } else if let modified = state.network.indexLastModified {
                headers.append("If-Modified-Since: \(modified)")
            }
        }

        var body = Data()
        let context = TransferContext()
        context.onBody = { chunk in
            body.append(contentsOf: chunk)
            return body.count <= Self.maximumIndexSize
        }
        context.shouldContinue = shouldContinue
        let exchange = try client.perform(url, headers: headers, context: context)
        received += exchange.bodyBytes
        try record(&state) { network in
            network.addUsage(exchange.bodyBytes, at: now())
            if let serverDate = exchange.head.date {
                network.clockSkewSeconds = now().timeIntervalSince(serverDate)
            }
        }

        let data: Data
        switch exchange.head.status {
        case 304:
            data = try FileSystem.read(cached)
        case 200:
            guard body.count <= Self.maximumIndexSize else {
                throw SyncError(.malformed, "\(url.absoluteString) is far too large to be an index.")
            }
            data = body
        default:
            throw TransportError(
                kind: .httpStatus(exchange.head.status),
                message: "\(url.absoluteString) answered HTTP \(exchange.head.status).",
                retryAfter: exchange.head.retryAfter)
        }

        let index = try RepositoryIndex.open(data, name: url.absoluteString, trustedKeys: keys)
        guard index.channel == configuration.channel else {
            throw SyncError(
                .wrongChannel,
                "The repository at \(settings.repositoryURL.absoluteString) is for the channel "
                    + "\"\(index.channel)\", but this centre follows \"\(configuration.channel)\".")
        }
        // Only indexes count here: a centre that got ahead of its mirror
        // by USB stick sees an older index that is simply behind, not false.
        let highest = state.network.highestIndexRelease ?? 0
        guard index.latestRelease >= highest else {
            throw SyncError(
                .staleIndex,
                "The repository offers release \(index.latestRelease), older than release "
                    + "\(highest) seen before; it may have been restored from a backup. "
                    + "Nothing was changed; this centre keeps release \(current.release).")
        }
        if exchange.head.status == 200 {
            try FileSystem.writeAtomically(data, to: cached)
        }
        CrashPoint.indexSaved.reach()
        try record(&state) { network in
            network.lastPollAt = Timestamp.format(now())
            network.highestIndexRelease = index.latestRelease
            if exchange.head.status == 200 {
                network.indexETag = exchange.head.headers["etag"]
                network.indexLastModified = exchange.head.headers["last-modified"]
                network.indexURL = url.absoluteString
            }
        }
        return index
    }

    private func download(
        _ entry: RepositoryIndex.Entry, state: inout SyncState, received: inout Int
    ) throws -> Data {
        let partial = partialURL(entry)
        let transfer = ResumableDownload(
            url: settings.repositoryURL.appendingPathComponent(entry.file), partialFile: partial,
            expectedSize: entry.size, expectedSHA256: entry.sha256)
        let budgetLeft = settings.monthlyBudget.map { $0 - state.network.bytesUsed(inMonthOf: now()) }
        var bytes = 0
        var counted = 0
        var overBudget = false
        var lastSaved = Date.distantPast
        let what = "release \(entry.targetRelease)"
            + (entry.kind == .delta ? " (changes from \(entry.baseRelease))" : " (full)")
        onActivity("Downloading \(what)")

        var failure: Error?
        do {
            let startSize = (try? PartialFile(url: partial).size) ?? 0
            try transfer.run(
                client: client, received: &bytes,
                onProgress: { bytes, total in
                    if let budgetLeft, bytes - startSize >= budgetLeft { overBudget = true }
                    if bytes >= entry.size / 2 { CrashPoint.downloadHalfway.reach() }
                    // Saving progress for `status` at most once a second
                    // keeps the disk quiet on a slow link.
                    guard Date().timeIntervalSince(lastSaved) >= 1 else { return }
                    lastSaved = Date()
                    // The month's count grows with the file, so that a power
                    // cut in the middle of a download loses little of it.
                    let grown = max(0, bytes - startSize - counted)
                    counted += grown
                    try? SyncState.update(at: configuration.stateURL) {
                        $0.network.download = .init(
                            file: entry.file, bytes: bytes, total: total ?? entry.size)
                        $0.network.addUsage(grown, at: now())
                    }
                    onActivity("Downloading \(what): \(formatBytes(bytes)) of \(formatBytes(entry.size))")
                },
                shouldContinue: { !overBudget && shouldContinue() })
        } catch {
            failure = error
        }
        // Count what crossed the wire, whether the transfer finished or not.
        let size = (try? PartialFile(url: partial).size) ?? 0
        received += bytes
        state = try SyncState.load(from: configuration.stateURL)
        try record(&state) { network in
            network.addUsage(max(0, bytes - counted), at: now())
            network.download = failure == nil
                ? nil : .init(file: entry.file, bytes: size, total: entry.size)
        }
        if overBudget { try checkBudget(state, needing: 0) }
        if let failure { throw failure }
        CrashPoint.downloadComplete.reach()
        return try FileSystem.read(partial)
    }

    private func install(_ data: Data, name: String, repairing: Bool) throws -> BundleHeader {
        guard let lock = try FileLock.tryLock(configuration.applyLockURL) else {
            throw SyncError(
                .busy, "Another mrc-syncd is updating the content right now; trying again later.")
        }
        defer { withExtendedLifetime(lock) {} }
        let installer = ReleaseInstaller(
            channel: configuration.channel, trustedKeys: try configuration.trustedKeys(),
            logger: logger)
        let (header, update) = try installer.install(
            data, name: name, into: configuration.replicaURL, repairing: repairing,
            keepGoing: whileInstalling)
        try ReleaseInstaller.recordInstalled(header.targetRelease, configuration)
        ReleaseInstaller.updateSearchIndex(
            of: configuration.replicaURL, after: update, logger: logger,
            starting: {
                onActivity("Updating the search index for release \(header.targetRelease)")
            },
            keepGoing: whileInstalling)
        return header
    }

    /// Rebuilds a search index that a crash or a stop left behind the
    /// installed release; quick when there is nothing to do.
    private func catchUpSearchIndex() throws {
        guard let lock = try FileLock.tryLock(configuration.applyLockURL) else { return }
        defer { withExtendedLifetime(lock) {} }
        ReleaseInstaller.updateSearchIndex(
            of: configuration.replicaURL, after: nil, logger: logger,
            starting: { onActivity("Rebuilding the search index") }, keepGoing: whileInstalling)
    }

    private func checkBudget(_ state: SyncState, needing bytes: Int) throws {
        guard let budget = settings.monthlyBudget else { return }
        let used = state.network.bytesUsed(inMonthOf: now())
        if used < budget && bytes > 0 && used + bytes > budget {
            throw SyncError(
                .budgetExhausted,
                "The next download (\(formatBytes(bytes))) would go past this month's data "
                    + "budget of \(formatBytes(budget)), of which \(formatBytes(budget - used)) is "
                    + "left. It waits for next month; content can still come on a USB stick.")
        }
        if used >= budget {
            throw SyncError(
                .budgetExhausted,
                "This month's data budget of \(formatBytes(budget)) is used up "
                    + "(\(formatBytes(used))). Transfers resume next month; content can still "
                    + "come on a USB stick.")
        }
    }

    private func partialURL(_ entry: RepositoryIndex.Entry) -> URL {
        configuration.downloadsURL.appendingPathComponent(entry.file + ".part")
    }

    /// Changes the network part of the state, in memory and on disk.
    private func record(_ state: inout SyncState, _ body: (inout NetworkState) -> Void) throws {
        body(&state.network)
        let network = state.network
        try SyncState.update(at: configuration.stateURL) { $0.network = network }
    }
}
