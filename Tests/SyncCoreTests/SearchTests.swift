import Foundation
import Testing
@testable import SyncCore

/// Searching the sample content, as staff would for a visitor.
@Suite("Searching the content", .serialized)
struct SearchTests {
    /// A replica holding release 1 of samples/content.
    private func sampleReplica() throws -> (World, Replica) {
        let world = try World()
        let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("samples/content")
        _ = try Publisher(repository: world.repository, key: world.signingKey, channel: "mm-main")
            .release(content: samples)
        try world.importBundles(from: world.bundleURL("mm-main-1.snapshot.mrcb"))
        return (world, try #require(try Replica.openReadOnly(at: world.configuration.replicaURL)))
    }

    @Test("English words find the article whose title has them", arguments: [
        ("passport belongs", "your-passport-stays-with-you"),
        ("remittance rule", "the-25-percent-remittance-rule"),
        ("written contract", "written-contract-before-leaving"),
        ("trafficking forced labour", "signs-of-trafficking-and-forced-labour"),
    ])
    func english(query: String, expected: String) throws {
        let (world, replica) = try sampleReplica()
        defer { withExtendedLifetime(world) {} }
        let hits = try replica.search(query, lang: "en")
        #expect(hits.first?.recordID == expected, "\(hits.prefix(3))")
    }

    @Test("Burmese text, written without spaces, finds its article first among articles", arguments: [
        ("နိုင်ငံကူးလက်မှတ်ကို", "your-passport-stays-with-you"),
        ("ငွေလွှဲပို့ရန်", "the-25-percent-remittance-rule"),
        ("လူကုန်ကူးမှု", "signs-of-trafficking-and-forced-labour"),
        ("အလုပ်ရှင် ပြောင်းခြင်း", "changing-employer"),
    ])
    func burmese(query: String, expected: String) throws {
        let (world, replica) = try sampleReplica()
        defer { withExtendedLifetime(world) {} }
        let articles = try replica.search(query, lang: "my").filter { $0.kind == "article" }
        #expect(articles.first?.recordID == expected, "\(articles.prefix(3))")
    }

    @Test("an agency is found by its licence number and by its name")
    func agencies() throws {
        let (world, replica) = try sampleReplica()
        defer { withExtendedLifetime(world) {} }
        let byLicence = try replica.search("MOL/OEA-458/2013")
        #expect(byLicence.first?.kind == "agency")
        #expect(byLicence.first?.title == "Amberline Overseas Employment Agency Co., Ltd.")
        let byName = try replica.search("Amberline Anchor")
        #expect(byName.first?.title == "Amberline Anchor International Employment Services Co., Ltd.")
    }

    @Test("a contact is found by its hotline number")
    func contactByPhone() throws {
        let (world, replica) = try sampleReplica()
        defer { withExtendedLifetime(world) {} }
        let hits = try replica.search("1506")
        #expect(hits.contains { $0.kind == "contact" })
    }

    @Test("the index follows a delta: a new title is found, the old one is gone")
    func indexFollowsDelta() throws {
        var world = try World()
        try world.publish()
        try world.importBundles(from: world.bundleURL("mm-main-1.snapshot.mrcb"))
        var title = world.content.articles[4]["title"] as! [String: String]
        title["en"] = "Kangaroo visas explained"
        world.content.articles[4]["title"] = title
        try world.publish()
        let replica = try #require(try Replica.openReadOnly(at: world.configuration.replicaURL))
        #expect(try replica.search("Kangaroo").isEmpty)

        try world.importBundles(from: world.bundleURL("mm-main-1-2.delta.mrcb"))

        let after = try #require(try Replica.openReadOnly(at: world.configuration.replicaURL))
        #expect(try after.search("Kangaroo").map(\.recordID) == ["article-4"])
        #expect(try after.search("Article 4", lang: "en").first?.recordID != nil)
    }

    /// Every entry of the search index, by what it indexes; the rowids
    /// differ between an index kept in step and one built afresh.
    private func indexEntries(_ url: URL) throws -> [[SQLiteValue]] {
        let database = try Database(path: url.path, mode: .readOnly)
        return try database.rows(
            """
            SELECT d.kind, d.record_id, d.field, d.lang, s.value
            FROM local_search_doc d JOIN local_search s ON s.rowid = d.docid
            ORDER BY 1, 2, 3, 4
            """)
    }

    @Test("an index kept in step through deltas equals one built from the snapshot")
    func incrementalIndexEqualsRebuilt() throws {
        var world = try World()
        try world.publish()
        try world.importBundles(from: world.bundleURL("mm-main-1.snapshot.mrcb"))
        // One text of one article, a whole article gone, a new one, an
        // agency's licence number and a contact's phones.
        world.content.reviseArticle(4, note: "Kangaroo visas explained")
        world.content.articles.remove(at: 7)
        var added = world.content.articles[0]
        added["id"] = "article-new"
        added["title"] = ["my": "ဆောင်းပါးသစ်", "en": "Wombat contracts"]
        world.content.articles.append(added)
        world.content.agencies[3]["licence_number"] = "LIC-XYZ-77"
        world.content.contacts[0]["phones"] = ["1506", "+66 2 123 4567"]
        try world.publish()
        try world.importBundles(from: world.bundleURL("mm-main-1-2.delta.mrcb"))

        var fresh = try World()
        fresh.content = world.content
        try fresh.publish()
        try fresh.importBundles(from: fresh.bundleURL("mm-main-1.snapshot.mrcb"))

        let kept = try indexEntries(world.configuration.replicaURL)
        #expect(kept.count > 100)
        #expect(kept == (try indexEntries(fresh.configuration.replicaURL)))
        let replica = try #require(try Replica.openReadOnly(at: world.configuration.replicaURL))
        #expect(try replica.search("Wombat").map(\.recordID) == ["article-new"])
        #expect(try replica.search("XYZ-77").map(\.recordID) == ["agency-3"])
        #expect(try replica.search("Article 7", lang: "en").allSatisfy { $0.recordID != "article-7" })
    }

    @Test("an index behind its release drops removed records; the next import catches it up")
    func indexBehindTheRelease() throws {
        var world = try World()
        world.content = ContentFixture(articleCount: 30, agencyCount: 5)
        world.content.articles[29]["title"] = ["my": "ဆောင်းပါး", "en": "Kangaroo notes"]
        try world.publish()
        try world.importBundles(from: world.bundleURL("mm-main-1.snapshot.mrcb"))
        let replicaURL = world.configuration.replicaURL
        let before = try #require(try Replica.openReadOnly(at: replicaURL))
        #expect(try before.search("Kangaroo").map(\.recordID) == ["article-29"])

        world.content.articles.removeLast()
        world.content.reviseArticle(4, note: "Wallaby")
        try world.publish()
        // Release 2 applied the way a crash right after its transaction
        // leaves it: the content moved, the index did not.
        let delta = try Data(contentsOf: world.bundleURL("mm-main-1-2.delta.mrcb"))
        let update = try Bundle.open(
            delta, name: "delta", trustedKeys: [world.signingKey.publicKey]
        ).releaseUpdate()
        try Replica.openForWriting(at: replicaURL).apply(update, channel: "mm-main")

        let behind = try #require(try Replica.openReadOnly(at: replicaURL))
        #expect(try behind.info().release == 2)
        #expect(try behind.searchIndexIsBehind())
        // The stale entry is still in the index; its record is not shown.
        #expect(try behind.rows(
            "SELECT count(*) FROM local_search WHERE local_search MATCH 'Kangaroo'"
        ).first?.first?.integer == 1)
        #expect(try behind.search("Kangaroo").isEmpty)
        #expect(try behind.search("Wallaby").isEmpty)
        // Staff are told, by status and by the search command.
        let lagging = { try StatusReport.gather(configuration: world.configuration).warnings
            .contains { $0.contains("search index is behind release 2") }
        }
        #expect(try lagging())
        let command = try Tool.syncd.run([
            "--config", world.configURL.path, "search", "--no-log", "Wallaby",
        ])
        #expect(command.stderr.contains("search index is behind"))

        // Nothing new to import; the index catches up all the same.
        let report = try world.importBundles(from: world.bundleURL("mm-main-1-2.delta.mrcb"))
        #expect(report.applied.isEmpty)
        let after = try #require(try Replica.openReadOnly(at: replicaURL))
        #expect(try !after.searchIndexIsBehind())
        #expect(try after.search("Wallaby").map(\.recordID) == ["article-4"])
        #expect(try !lagging())
    }

    @Test("search from the command line records the question unless --no-log")
    func commandLine() throws {
        let (world, _) = try sampleReplica()
        let found = try Tool.syncd.run([
            "--config", world.configURL.path, "search", "--lang", "en", "passport", "belongs",
        ])
        #expect(found.status == 0)
        #expect(found.stdout.hasPrefix("article your-passport-stays-with-you"))
        _ = try Tool.syncd.run(["--config", world.configURL.path, "search", "--no-log", "visa"])
        let summary = try QueryLog.open(at: world.configuration.queryLogURL).summary()
        #expect(summary.pending == 1)
    }
}
