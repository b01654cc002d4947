import Foundation
import Testing
@testable import SyncCore

/// Visitor questions from a centre to the central office, exactly once,
/// by HTTP PUT to nginx, by USB stick, or both.
@Suite("Delivering visitor questions", .serialized)
struct QueryDeliveryTests {
    /// A centre syncing content from `repositoryURL` and uploading to
    /// `uploadURL`, with the central office's inbox key pinned.
    private func world(repositoryURL: URL, uploadURL: URL, served: URL) throws -> World {
        var world = try World()
        world.content = ContentFixture(articleCount: 20, agencyCount: 20)
        try world.publish(into: served)
        try world.useNetwork(
            repositoryURL, "upload_url = \(uploadURL.absoluteString)\ninbox_key = keys/inbox.pub")
        return world
    }

    private func inboxKey(_ world: World) throws -> InboxKeyPair {
        try InboxKeyPair.load(secretKeyAt: world.keys.appendingPathComponent("inbox.key"))
    }

    private func log(_ world: World, _ texts: [String]) throws {
        try FileSystem.createDirectory(world.configuration.stateDirectory)
        let log = try QueryLog.open(at: world.configuration.queryLogURL)
        for text in texts {
            try log.record(text, lang: "en", topic: "contracts", channel: .desk)
        }
    }

    @Test("logged at a centre, uploaded to nginx, ingested once, acknowledged, deleted")
    func endToEndOverHTTP() throws {
        let scratch = try Scratch()
        let served = try scratch.directory("repository")
        let uploads = try scratch.directory("uploads")
        let nginx = try NginxServer(repository: served, uploads: uploads)
        defer { nginx.stop() }
        var world = try world(
            repositoryURL: nginx.baseURL,
            uploadURL: nginx.baseURL.appendingPathComponent("uploads"), served: served)
        try log(world, ["Call me on 09 421 234 567", "Is MOL/OEA-123/2024 licensed?"])

        try world.sync()

        let files = try FileManager.default.subpathsOfDirectory(atPath: uploads.path)
            .filter { $0.hasSuffix(".mrcq") }
        #expect(files.count == 1)
        #expect(files.first?.hasPrefix("test-centre/") == true)
        let summary = try QueryLog.open(at: world.configuration.queryLogURL).summary()
        #expect(summary.pending == 0 && summary.unacknowledgedBatches == 0)
        #expect(summary.lastUploadAt != nil)

        let inbox = try QueryInbox(path: scratch.path("central.sqlite"))
        let report = try inbox.ingest(uploads: uploads, key: try inboxKey(world))
        #expect(report.newBatches == 1 && report.newQueries == 2)
        #expect(try inbox.texts(centreID: "test-centre") == [
            "Call me on [phone]", "Is MOL/OEA-123/2024 licensed?",
        ])
        #expect(try inbox.ingest(uploads: uploads, key: try inboxKey(world)).duplicates == 1)
        let centres = try inbox.report()
        #expect(centres.map(\.centreID) == ["test-centre"])
        #expect(centres.first?.queries == 2)
        #expect(centres.first?.byTopic == ["contracts": 2])

        // The next release carries the acknowledgement to every centre.
        world.content.reviseArticle(1, note: "acknowledging")
        let directory = try world.content.write(to: scratch.path("content-2"))
        _ = try Publisher(repository: served, key: world.signingKey, channel: "mm-main")
            .release(content: directory, acknowledgements: try inbox.acknowledgements())
        try world.sync()
        let replica = try #require(try Replica.openReadOnly(at: world.configuration.replicaURL))
        #expect(try replica.rows("SELECT count(*) FROM acknowledgement").first?.first == .integer(1))
    }

    /// C-09: the server stores a batch, and the answer is lost.
    @Test("C-09 a lost acknowledgement: the retry sends the same batch, new queries a new one")
    func lostAcknowledgement() throws {
        let scratch = try Scratch()
        let served = try scratch.directory("repository")
        let uploads = try scratch.directory("uploads")
        let server = try FaultServer(root: scratch.url)
        defer { server.stop() }
        let world = try world(
            repositoryURL: server.baseURL.appendingPathComponent("repository"),
            uploadURL: server.baseURL.appendingPathComponent("uploads"), served: served)
        try log(world, ["first", "second", "third"])
        server.setBehaviour(.storeThenDrop, forPath: nil)

        #expect(throws: (any Error).self) {
            try QueryOutbox(configuration: world.configuration)
                .upload(client: HTTPClient(limits: TransferLimits(stallTimeout: 5)))
        }
        let stored = try FileManager.default.subpathsOfDirectory(atPath: uploads.path)
            .filter { $0.hasSuffix(".mrcq") }
        #expect(stored.count == 1)
        let firstBytes = try Data(contentsOf: uploads.appendingPathComponent(stored[0]))
        let inbox = try QueryInbox(path: scratch.path("central.sqlite"))
        #expect(try inbox.ingest(uploads: uploads, key: try inboxKey(world)).newQueries == 3)

        try log(world, ["fourth", "fifth"])
        server.setBehaviour(.normal, forPath: nil)
        let uploaded = try QueryOutbox(configuration: world.configuration)
            .upload(client: HTTPClient())

        #expect(uploaded == 2)
        let puts = server.requests.filter { $0.method == "PUT" }.map(\.path)
        #expect(puts.count == 3)
        #expect(puts[0] == puts[1])
        #expect(try Data(contentsOf: uploads.appendingPathComponent(stored[0])) == firstBytes)
        let second = try inbox.ingest(uploads: uploads, key: try inboxKey(world))
        #expect(second.newBatches == 1 && second.newQueries == 2 && second.duplicates == 1)
        #expect(try inbox.texts(centreID: "test-centre").sorted()
            == ["fifth", "first", "fourth", "second", "third"])
    }

    @Test("carried on a stick and uploaded too, every query counts once")
    func stickAndUpload() throws {
        let scratch = try Scratch()
        let served = try scratch.directory("repository")
        let uploads = try scratch.directory("uploads")
        let nginx = try NginxServer(repository: served, uploads: uploads)
        defer { nginx.stop() }
        var world = try world(
            repositoryURL: nginx.baseURL,
            uploadURL: nginx.baseURL.appendingPathComponent("uploads"), served: served)
        try world.importBundles(from: served)
        try log(world, ["by stick one", "by stick two"])
        let stick = try scratch.directory("stick")

        let exported = try Tool.syncd.run([
            "--config", world.configURL.path, "export-queries", stick.path,
        ])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(try QueryLog.open(at: world.configuration.queryLogURL).summary()
            .unacknowledgedBatches == 1)

        let inbox = try QueryInbox(path: scratch.path("central.sqlite"))
        let fromStick = try inbox.ingest(
            uploads: stick.appendingPathComponent(QueryOutbox.stickFolder), key: try inboxKey(world))
        #expect(fromStick.newQueries == 2)

        // The link comes back before the acknowledging release does.
        try world.sync()
        let fromUploads = try inbox.ingest(uploads: uploads, key: try inboxKey(world))
        #expect(fromUploads.newQueries == 0 && fromUploads.duplicates == 1)
        #expect(try inbox.report().first?.queries == 2)

        // A stick path that exported, acknowledged by a release brought on
        // a stick, is deleted too.
        try log(world, ["third"])
        let again = try Tool.syncd.run(
            ["--config", world.configURL.path, "export-queries", stick.path])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try inbox.ingest(
            uploads: stick.appendingPathComponent(QueryOutbox.stickFolder),
            key: try inboxKey(world)).newQueries == 1)
        world.content.reviseArticle(2, note: "ack")
        let directory = try world.content.write(to: scratch.path("content-2"))
        _ = try Publisher(repository: served, key: world.signingKey, channel: "mm-main")
            .release(content: directory, acknowledgements: try inbox.acknowledgements())
        try world.importBundles(from: served)
        #expect(try QueryLog.open(at: world.configuration.queryLogURL).summary()
            .unacknowledgedBatches == 0)
    }

    @Test("a batch is sealed to the inbox key: nobody else can read it, and tampering shows")
    func sealedBatches() throws {
        let world = try World()
        try log(world, ["private question"])
        let log = try QueryLog.open(at: world.configuration.queryLogURL)
        let inboxPublic = try InboxPublicKey.load(from: world.keys.appendingPathComponent("inbox.pub"))
        let batch = try #require(try log.seal(centreID: "test-centre", inbox: inboxPublic))
        #expect(!String(decoding: batch.body, as: UTF8.self).contains("private"))
        #expect(try log.summary().pending == 0)
        #expect(try log.seal(centreID: "test-centre", inbox: inboxPublic) == nil)

        let opened = try QueryBatch.open(batch.body, name: "b", inbox: try inboxKey(world))
        #expect(opened.queries.map(\.text) == ["private question"])
        #expect(opened.batchID == batch.id)
        var altered = batch.body
        altered[altered.count - 3] ^= 1
        #expect(throws: SyncError.self) {
            try QueryBatch.open(altered, name: "b", inbox: try inboxKey(world))
        }
        #expect(throws: SyncError.self) {
            try QueryBatch.open(batch.body, name: "b", inbox: InboxKeyPair.generate())
        }
    }

    @Test("killed while sealing or after the server answered: nothing lost, nothing twice",
          arguments: [CrashPoint.sealing, .uploadAnswered])
    func killedWhileDelivering(point: CrashPoint) throws {
        let scratch = try Scratch()
        let served = try scratch.directory("repository")
        let uploads = try scratch.directory("uploads")
        let nginx = try NginxServer(repository: served, uploads: uploads)
        defer { nginx.stop() }
        let world = try world(
            repositoryURL: nginx.baseURL,
            uploadURL: nginx.baseURL.appendingPathComponent("uploads"), served: served)
        try log(world, ["one", "two"])
        let sync = ["--config", world.configURL.path, "sync"]

        let killed = try Tool.syncd.run(sync, environment: ["MRC_SYNCD_CRASH_AT": point.rawValue])
        #expect(killed.signal == SIGKILL)
        try log(world, ["three"])
        let again = try Tool.syncd.run(sync)
        #expect(again.status == 0, "\(again.stderr)")

        let inbox = try QueryInbox(path: scratch.path("central.sqlite"))
        _ = try inbox.ingest(uploads: uploads, key: try inboxKey(world))
        #expect(try inbox.texts(centreID: "test-centre").sorted() == ["one", "three", "two"])
        let summary = try QueryLog.open(at: world.configuration.queryLogURL).summary()
        #expect(summary.pending == 0 && summary.unacknowledgedBatches == 0)
    }

    @Test("status counts pending questions and batches")
    func statusCounts() throws {
        let world = try World()
        try log(world, ["a question", "another"])
        let result = try Tool.syncd.run(["--config", world.configURL.path, "status", "--json"])
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let queries = try #require(object["queries"] as? [String: Any])
        #expect(queries["pending"] as? Int == 2)
        #expect(queries["oldest_at"] is String)
        #expect(queries["unacknowledged_batches"] as? Int == 0)
        #expect(queries["last_upload_at"] is NSNull)
    }
}
