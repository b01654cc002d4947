import Foundation
import Testing
@testable import SyncCore

@Suite("Importing bundles into a replica")
struct ImportTests {
    @Test("a snapshot import installs the release with its content")
    func snapshotImport() throws {
        let world = try World()
        try world.publish()
        let report = try world.importBundles(from: world.bundleURL("mm-main-1.snapshot.mrcb"))

        #expect(report.toRelease == 1)
        let info = try world.replicaInfo()
        #expect(info.release == 1)
        #expect(info.channel == "mm-main")
        let replica = try #require(try Replica.openReadOnly(at: world.configuration.replicaURL))
        #expect(try replica.rowCounts()["article"] == 100)
        let title = try replica.rows(
            "SELECT value FROM text WHERE kind = 'article' AND record_id = 'article-7' "
                + "AND field = 'title' AND lang = 'my'")
        #expect(title.first?.first == .text("ဆောင်းပါး 7"))
        #expect(try replica.computeDigest() == info.contentDigest)
        #expect(try replica.integrityProblems().isEmpty)
    }

    @Test("a chain of deltas brings the replica to the newest release")
    func deltaChain() throws {
        var world = try World()
        try world.publish()
        try world.importBundles(from: world.bundleURL("mm-main-1.snapshot.mrcb"))
        for release in 2...4 {
            world.content.reviseArticle(release, note: "Revised for release \(release).")
            #expect(try world.publish() == release)
        }
        let stick = try world.stick([
            "mm-main-1-2.delta.mrcb", "mm-main-2-3.delta.mrcb", "mm-main-3-4.delta.mrcb",
        ])
        let report = try world.importBundles(from: stick)

        #expect(report.applied.map(\.targetRelease) == [2, 3, 4])
        #expect(report.applied.allSatisfy { $0.kind == .delta })
        let replica = try #require(try Replica.openReadOnly(at: world.configuration.replicaURL))
        let body = try replica.rows(
            "SELECT value FROM text WHERE record_id = 'article-4' AND field = 'body' AND lang = 'en'")
        #expect(body.first?.first?.text?.hasSuffix("Revised for release 4.") == true)
        #expect(try replica.computeDigest() == (try world.replicaInfo()).contentDigest)
    }

    @Test("a centre several releases behind takes the cheapest chain from a full repository")
    func severalReleasesBehind() throws {
        var world = try World()
        try world.publish()
        try world.importBundles(from: world.bundleURL("mm-main-1.snapshot.mrcb"))
        for release in 2...6 {
            world.content.reviseArticle(release, note: "Release \(release).")
            try world.publish()
        }
        let report = try world.importBundles(from: world.repository)

        #expect(report.toRelease == 6)
        // From 1 to 6: deltas 1→2 (distance 1) then 2→6 (distance 4) are
        // far cheaper than the snapshot and need only two steps.
        #expect(report.applied.allSatisfy { $0.kind == .delta })
        #expect(report.applied.count == 2)
        let replica = try #require(try Replica.openReadOnly(at: world.configuration.replicaURL))
        #expect(try replica.computeDigest() == (try world.replicaInfo()).contentDigest)
    }

    @Test("importing what is already installed changes nothing")
    func reimportIsNoOp() throws {
        let world = try World()
        try world.publish()
        let stick = try world.stick(["mm-main-1.snapshot.mrcb"])
        try world.importBundles(from: stick)
        let before = try world.replicaBytes()

        let again = try world.importBundles(from: stick)
        let single = try world.importBundles(from: stick.appendingPathComponent("mm-main-1.snapshot.mrcb"))

        #expect(again.applied.isEmpty && single.applied.isEmpty)
        #expect(single.message.contains("already installed"))
        #expect(try world.replicaBytes() == before)
    }

    @Test("a snapshot repairs a replica after a release failed its digest check")
    func snapshotAfterDigestMismatchRepairs() throws {
        var world = try World()
        try world.publish()
        try world.importBundles(from: world.bundleURL("mm-main-1.snapshot.mrcb"))
        // Someone edits by hand a text that the next delta changes too.
        let database = try Database(path: world.configuration.replicaURL.path)
        try database.execute(
            "UPDATE text SET value = 'edited' WHERE record_id = 'article-1' AND field = 'body' "
                + "AND lang = 'en'")
        world.content.reviseArticle(1, note: "Second release.")
        try world.publish()

        let delta = world.bundleURL("mm-main-1-2.delta.mrcb")
        #expect(throws: SyncError.self) { try world.importBundles(from: delta) }
        #expect(try world.replicaInfo().release == 1)
        #expect(try SyncState.load(from: world.configuration.stateURL).needsSnapshot)

        let report = try world.importBundles(from: world.repository)
        #expect(report.applied.map(\.kind) == [.snapshot])
        #expect(try world.replicaInfo().release == 2)
        #expect(try SyncState.load(from: world.configuration.stateURL).needsSnapshot == false)
        let replica = try #require(try Replica.openReadOnly(at: world.configuration.replicaURL))
        #expect(try replica.computeDigest() == (try world.replicaInfo()).contentDigest)
    }

    @Test("verify finds a hand edit, and the snapshot of the same release repairs it")
    func verifyAndRepairAtSameRelease() throws {
        let world = try World()
        try world.publish()
        let snapshot = world.bundleURL("mm-main-1.snapshot.mrcb")
        try world.importBundles(from: snapshot)
        let database = try Database(path: world.configuration.replicaURL.path)
        try database.execute("UPDATE agency SET status = 'licensed' WHERE id = 'agency-0'")

        let verify = try Tool.syncd.run(["--config", world.configURL.path, "verify"])
        #expect(verify.status == SyncError.Code.digestMismatch.rawValue)
        let status = try StatusReport.gather(configuration: world.configuration)
        #expect(status.exitStatus == 1)
        #expect(status.warnings.contains { $0.contains("full snapshot") })

        let report = try world.importBundles(from: snapshot)
        #expect(report.applied.map(\.targetRelease) == [1])
        let status2 = try StatusReport.gather(configuration: world.configuration)
        #expect(status2.warnings.isEmpty)
        let replica = try #require(try Replica.openReadOnly(at: world.configuration.replicaURL))
        let agency = try replica.rows("SELECT status FROM agency WHERE id = 'agency-0'")
        #expect(agency.first?.first == .text("suspended"))
        #expect(try replica.computeDigest() == (try world.replicaInfo()).contentDigest)
        // Once repaired, the same snapshot is again just "already installed".
        #expect(try world.importBundles(from: snapshot).applied.isEmpty)
    }

    @Test("an older bundle brought again is refused without alarming status")
    func olderBundleIsNoFailure() throws {
        var world = try World()
        try world.publish()
        world.content.reviseArticle(2, note: "Second release.")
        try world.publish()
        try world.importBundles(from: world.repository)
        let config = ["--config", world.configURL.path]

        let old = try Tool.syncd.run(
            config + ["import", world.bundleURL("mm-main-1.snapshot.mrcb").path])

        #expect(old.status == SyncError.Code.rollback.rawValue)
        #expect(try world.replicaInfo().release == 2)
        let status = try Tool.syncd.run(config + ["status"])
        #expect(status.status == 0, "\(status.stdout)")
        #expect(!status.stdout.contains("FAILED"))
    }

    @Test("a delta is refused while the replica waits for a repairing snapshot")
    func deltaDoesNotClearNeedForSnapshot() throws {
        var world = try World()
        try world.publish()
        try world.importBundles(from: world.bundleURL("mm-main-1.snapshot.mrcb"))
        world.content.reviseArticle(3, note: "two")
        try world.publish()
        let database = try Database(path: world.configuration.replicaURL.path)
        try database.execute("UPDATE agency SET phone = '+95 1 000' WHERE id = 'agency-5'")
        #expect(try Tool.syncd.run(["--config", world.configURL.path, "verify"]).status == 16)

        let error = try #require(throws: SyncError.self) {
            try world.importBundles(from: world.bundleURL("mm-main-1-2.delta.mrcb"))
        }

        #expect(error.code == .digestMismatch)
        #expect(try world.replicaInfo().release == 1)
        #expect(try world.state().needsSnapshot)
    }
}
