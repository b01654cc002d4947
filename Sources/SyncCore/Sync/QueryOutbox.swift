import Foundation

/// Gets sealed query batches to the central office, exactly once from its
/// point of view: by HTTP PUT to `upload_url`, or as files on a USB stick.
///
/// A batch is never changed once sealed, so a retry after a lost answer
/// sends the same id and the same bytes, and the central side keeps the
/// first copy of each id. A batch is deleted here when a PUT is answered
/// with 2xx, or when a signed release lists it as received.
public struct QueryOutbox {
    /// The folder on a stick that batches are written into.
    public static let stickFolder = "mrc-queries"

    let configuration: Configuration
    let logger: Logger
    let now: @Sendable () -> Date

    public init(
        configuration: Configuration, logger: Logger = .silent,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.now = now
    }

    /// Seals everything pending, if an inbox key is configured; returns
    /// how many batches were made.
    @discardableResult
    public func sealPending() throws -> Int {
        guard configuration.inboxKeyPath != nil,
              FileManager.default.fileExists(atPath: configuration.queryLogURL.path)
        else { return 0 }
        let log = try QueryLog.open(at: configuration.queryLogURL)
        let inbox = try configuration.inboxKey()
        var sealed = 0
        while let batch = try log.seal(centreID: configuration.centreID, inbox: inbox, at: now()) {
            logger.info("queries.sealed", [("batch", batch.id), ("queries", String(batch.queryCount))])
            sealed += 1
        }
        return sealed
    }

    /// Seals pending queries and uploads every unacknowledged batch;
    /// returns how many the server acknowledged.
    @discardableResult
    public func upload(
        client: HTTPClient, shouldContinue: @escaping () -> Bool = { true }
    ) throws -> Int {
        guard let uploadURL = configuration.uploadURL else { return 0 }
        try sealPending()
        guard FileManager.default.fileExists(atPath: configuration.queryLogURL.path) else { return 0 }
        let log = try QueryLog.open(at: configuration.queryLogURL)
        var acknowledged = 0
        for batch in try log.unacknowledgedBatches() {
            let url = uploadURL.appendingPathComponent(
                QueryBatch.relativePath(centreID: configuration.centreID, batchID: batch.id))
            let context = TransferContext()
            context.shouldContinue = shouldContinue
            let exchange = try client.perform(
                url, method: "PUT",
                headers: ["Content-Type: application/octet-stream", "Expect:"],
                upload: batch.body, context: context)
            guard (200..<300).contains(exchange.head.status) else {
                throw TransportError(
                    kind: .httpStatus(exchange.head.status),
                    message: "The upload to \(uploadURL.host ?? uploadURL.absoluteString) was "
                        + "answered with HTTP \(exchange.head.status); it will be tried again.",
                    retryAfter: exchange.head.retryAfter)
            }
            CrashPoint.uploadAnswered.reach()
            try log.markUploaded(batch.id, at: now())
            acknowledged += 1
            logger.notice("queries.uploaded", [
                ("batch", batch.id), ("bytes", String(batch.body.count)),
            ])
        }
        return acknowledged
    }

    /// Writes every unacknowledged batch onto a stick mounted at `root`,
    /// each durably (written, synced, renamed), and returns how many.
    /// Batches stay here until a release acknowledges them.
    public func export(to root: URL) throws -> Int {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory),
              isDirectory.boolValue
        else {
            throw SyncError(
                .sourceMissing,
                "\(root.path) is not a folder. If it is a USB stick, check that it is plugged in "
                    + "and mounted.")
        }
        try sealPending()
        guard FileManager.default.fileExists(atPath: configuration.queryLogURL.path) else { return 0 }
        let log = try QueryLog.open(at: configuration.queryLogURL)
        let batches = try log.unacknowledgedBatches()
        if batches.isEmpty, configuration.inboxKeyPath == nil,
           case let pending = try log.summary().pending, pending > 0
        {
            throw SyncError(
                .configuration,
                "\(pending) visitor question(s) are waiting, but they cannot be sealed for the "
                    + "central office: no inbox_key is set in the configuration. Set inbox_key "
                    + "to the central office's inbox.pub; the questions stay on this computer.")
        }
        guard !batches.isEmpty else { return 0 }
        let folder = root.appendingPathComponent(Self.stickFolder)
            .appendingPathComponent(configuration.centreID)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw SyncError(
                .storage,
                "Could not write to \(root.path) (\(FileSystem.reason(of: error))). The stick may "
                    + "be read-only or full. The questions stay on this computer.")
        }
        for batch in batches {
            try FileSystem.writeAtomically(
                batch.body, to: folder.appendingPathComponent("\(batch.id).\(QueryBatch.fileExtension)"))
            try log.markExported(batch.id, at: now())
        }
        logger.notice("queries.exported", [("batches", String(batches.count)), ("path", root.path)])
        return batches.count
    }

    /// Deletes the batches that the replica's release lists as received
    /// from this centre.
    @discardableResult
    public func applyAcknowledgements(from replica: Replica) throws -> Int {
        guard FileManager.default.fileExists(atPath: configuration.queryLogURL.path),
              try !replica.rows(
                "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'acknowledgement'")
                .isEmpty
        else { return 0 }
        let received = try replica.rows(
            """
            SELECT batch_id FROM acknowledgement WHERE centre_id = ?
            """, [.text(configuration.centreID)]
        ).compactMap { $0.first?.text }
        let deleted = try QueryLog.open(at: configuration.queryLogURL).acknowledge(received)
        if deleted > 0 {
            logger.info("queries.acknowledged", [("batches", String(deleted))])
        }
        return deleted
    }
}
