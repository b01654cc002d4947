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

    @Test("the documented test vector: topic rows ('rights', 2) and ('visas', 3)")
    func testVector() throws {
        let database = try Database(path: ":memory:")
        try database.execute("""
            CREATE TABLE topic (
                id TEXT PRIMARY KEY NOT NULL, position INTEGER NOT NULL
            ) WITHOUT ROWID;
            INSERT INTO topic VALUES ('rights', 2), ('visas', 3);
            """)
        #expect(try database.contentDigest().hex == """
            3d127dd455672067f82d2e1f6b2c828beed6f9f8b64a5716f095ae0314920b0b\
            8d7f44385be93fbfe30af0bd15bb9f227ec284ada91509acda12b539fa7f2c63
            """)
    }

    /// A table with every storage class, edge cases included.
    private func everyKind() throws -> Database {
        let database = try Database(path: ":memory:")
        try database.execute("""
            CREATE TABLE t (k TEXT PRIMARY KEY NOT NULL, a, b, c) WITHOUT ROWID;
            INSERT INTO t VALUES ('x', NULL, 1, 1.5), ('', 'မြန်မာ', X'', X'00FF'),
                ('y', -9223372036854775808, '', 'a' || char(0) || 'b'), ('z', -0.0, 1e308, 7);
            """)
        return database
    }

    private func digestFromValues(_ database: Database) throws -> ContentDigest {
        var digest = ContentDigest.empty
        for row in try database.rows("SELECT * FROM t") { digest.add(table: "t", row: row) }
        return digest
    }

    @Test("hashing rows where SQLite holds them gives the encoding of their values")
    func scanMatchesEncoding() throws {
        let database = try everyKind()
        #expect(try database.contentDigest() == (try digestFromValues(database)))
        #expect(try database.contentDigest() != .empty)
    }

    @Test("the digest recorded while statements change rows equals a full scan after")
    func recorderMatchesScan() throws {
        let database = try everyKind()
        let recorder = DigestRecorder(
            database: database, tables: try database.contentTables(),
            digest: try database.contentDigest())
        try recorder.record {
            try database.execute("""
                UPDATE t SET a = 'changed' WHERE k = 'x';
                UPDATE t SET b = b WHERE k = 'z';
                DELETE FROM t WHERE k = '';
                INSERT INTO t VALUES ('new', X'01', NULL, 'ငွေ');
                CREATE TABLE local_other (v);
                INSERT INTO local_other VALUES (1);
                """)
        }
        // Changes after recording stopped are not seen.
        try database.execute("UPDATE t SET a = 'unseen' WHERE k = 'y'")
        #expect(recorder.changes == 4)
        #expect(!recorder.incomplete)
        try database.execute("UPDATE t SET a = -9223372036854775808 WHERE k = 'y'")
        #expect(recorder.digest == (try database.contentDigest()))
        #expect(recorder.digest == (try digestFromValues(database)))
    }
}
