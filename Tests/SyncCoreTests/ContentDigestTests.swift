import Foundation
import Testing
@testable import SyncCore

@Suite("The content digest")
struct ContentDigestTests {
    @Test("adding rows in any order gives the same digest")
    func orderIndependent() {
        let rows: [[SQLiteValue]] = [["a", 1], ["b", 2], ["c", .null], ["d", .real(1.5)]]
        var forward = ContentDigest.empty
        for row in rows { forward.add(table: "t", row: row) }
        var backward = ContentDigest.empty
        for row in rows.reversed() { backward.add(table: "t", row: row) }
        #expect(forward == backward)
        #expect(forward != .empty)
    }

    @Test("removing a row undoes adding it")
    func removeUndoesAdd() {
        var digest = ContentDigest.empty
        digest.add(table: "t", row: ["a", 1])
        let one = digest
        digest.add(table: "t", row: ["b", 2])
        digest.remove(table: "t", row: ["b", 2])
        #expect(digest == one)
    }

    @Test("the same values in another table, column or type hash differently")
    func encodingSeparatesFields() {
        func digest(_ table: String, _ row: [SQLiteValue]) -> ContentDigest {
            var digest = ContentDigest.empty
            digest.add(table: table, row: row)
            return digest
        }
        #expect(digest("t", ["ab", "c"]) != digest("t", ["a", "bc"]))
        #expect(digest("t", ["1"]) != digest("t", [1]))
        #expect(digest("t", ["x"]) != digest("u", ["x"]))
        #expect(digest("t", [.null]) != digest("t", [""]))
    }

    @Test("the hex form round-trips and rejects other lengths")
    func hexRoundTrip() {
        var digest = ContentDigest.empty
        digest.add(table: "t", row: ["row"])
        #expect(ContentDigest(hex: digest.hex) == digest)
        #expect(digest.hex.count == 128)
        #expect(ContentDigest(hex: "abcd") == nil)
    }

    @Test("the digest kept while applying equals a full recomputation")
    func incrementalMatchesFullScan() throws {
        var world = try World()
        try world.publish()
        try world.importBundles(from: world.bundleURL("mm-main-1.snapshot.mrcb"))
        world.content.articles.removeLast(3)
        world.content.reviseArticle(0, note: "changed")
        world.content.agencies[4]["status"] = "revoked"
        world.content.agencies.append([
            "id": "agency-new", "name": ["en": "New Agency", "my": "အေဂျင်စီ"],
            "licence_number": "LIC-9", "status": "licensed", "status_since": "2026-12-01",
            "destinations": ["JP"], "sample": true,
        ])
        try world.publish()
        try world.importBundles(from: world.bundleURL("mm-main-1-2.delta.mrcb"))

        let replica = try #require(try Replica.openReadOnly(at: world.configuration.replicaURL))
        let stored = try replica.info().contentDigest
        #expect(try replica.computeDigest() == stored)
        #expect(try replica.rowCounts()["article"] == 97)
        #expect(try replica.rowCounts()["agency"] == 21)
    }
}
