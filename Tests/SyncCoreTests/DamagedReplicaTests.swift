import Foundation
import Testing
@testable import SyncCore

/// A failing disk or a power cut on cheap storage can damage the replica's
/// pages themselves. A snapshot must still bring the centre back.
@Suite("A replica with damaged pages")
struct DamagedReplicaTests {
    /// Moves every committed page into the main file, then overwrites part
    /// of the first page of `table` with noise, as a failing disk would.
    private func damage(_ table: String, in world: World) throws {
        let url = world.configuration.replicaURL
        var offset: UInt64 = 0
        do {
            let database = try Database(path: url.path)
            // The schema itself lives on page 1, after the 100-byte header.
            let root = table == "sqlite_schema" ? 1 : try database.scalar(
                "SELECT rootpage FROM sqlite_schema WHERE name = ?", [.text(table)])?.integer
            let pageSize = try database.scalar("PRAGMA page_size")?.integer
            try database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            offset = UInt64(try #require(root) - 1) * UInt64(try #require(pageSize))
        }
        let handle = try FileHandle(forUpdatingAtPath: url.path).unwrap()
        defer { try? handle.close() }
        try handle.seek(toOffset: offset + (offset == 0 ? 100 : 8))
        try handle.write(contentsOf: Data(repeating: 0x5a, count: 400))
    }

    private func replicaIsSound(_ world: World, release: Int) throws {
        let replica = try #require(try Replica.openReadOnly(at: world.configuration.replicaURL))
        #expect(try replica.integrityProblems() == [])
        let info = try replica.info()
        #expect(info.release == release)
        #expect(try replica.computeDigest() == info.contentDigest)
        #expect(try world.state().needsSnapshot == false)
        let leftover = world.configuration.replicaURL.path + ".rebuild"
        #expect(!FileManager.default.fileExists(atPath: leftover))
    }

    @Test("verify flags damaged pages, and the snapshot of the same release rebuilds it")
    func verifyThenRepair() throws {
        let world = try World()
        try world.publish()
        let snapshot = world.bundleURL("mm-main-1.snapshot.mrcb")
        try world.importBundles(from: snapshot)
        try damage("text", in: world)

        let verify = try Tool.syncd.run(["--config", world.configURL.path, "verify"])
        #expect(verify.status == SyncError.Code.storage.rawValue)
        #expect(verify.stdout.contains("damaged"))
        #expect(verify.stdout.contains("snapshot"))
        #expect(try world.state().needsSnapshot)

        let imported = try Tool.syncd.run(["--config", world.configURL.path, "import", snapshot.path])
        #expect(imported.status == 0, "\(imported.stderr)")
        try replicaIsSound(world, release: 1)
    }

    @Test("a newer snapshot installs over damaged pages without a verify first")
    func newerSnapshotOverDamage() throws {
        var world = try World()
        try world.publish()
        try world.importBundles(from: world.bundleURL("mm-main-1.snapshot.mrcb"))
        world.content.reviseArticle(2, note: "Second release.")
        try world.publish()
        try damage("text", in: world)

        let report = try world.importBundles(from: world.bundleURL("mm-main-2.snapshot.mrcb"))

        #expect(report.applied.map(\.targetRelease) == [2])
        try replicaIsSound(world, release: 2)
    }

    @Test("a replica too damaged to name its release takes the newest snapshot offered")
    func unreadableReplica() throws {
        var world = try World()
        try world.publish()
        try world.importBundles(from: world.bundleURL("mm-main-1.snapshot.mrcb"))
        world.content.reviseArticle(2, note: "Second release.")
        try world.publish()
        try damage("sqlite_schema", in: world)
        let config = ["--config", world.configURL.path]

        let status = try Tool.syncd.run(config + ["status"])
        #expect(status.status != 0)
        #expect((status.stdout + status.stderr).contains("snapshot"))

        // A stick with only the delta cannot help, and says so.
        let delta = try Tool.syncd.run(
            config + ["import", world.bundleURL("mm-main-1-2.delta.mrcb").path])
        #expect(delta.status == SyncError.Code.digestMismatch.rawValue)
        #expect(try world.state().needsSnapshot)

        let report = try world.importBundles(from: world.repository)

        #expect(report.applied.map(\.fileName) == ["mm-main-2.snapshot.mrcb"])
        try replicaIsSound(world, release: 2)
    }

    @Test("a replica that went missing or empty lets no older release in", arguments: [
        "deleted", "emptied",
    ])
    func missingReplica(how: String) throws {
        var world = try World()
        try world.publish()
        world.content.reviseArticle(2, note: "Second release.")
        try world.publish()
        try world.importBundles(from: world.repository)
        let old = try world.stick(["mm-main-1.snapshot.mrcb"], named: "old")
        let url = world.configuration.replicaURL
        for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: url.path + suffix)
        }
        if how == "emptied" { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        let config = ["--config", world.configURL.path]

        let verify = try Tool.syncd.run(config + ["verify"])
        #expect(verify.status == SyncError.Code.storage.rawValue)
        #expect(verify.stdout.contains("release 2 was installed"))
        let status = try StatusReport.gather(configuration: world.configuration)
        #expect(status.warnings.contains { $0.contains("missing or empty") })

        let refused = try Tool.syncd.run(config + ["import", old.path])
        #expect(refused.status != 0)
        #expect(try world.replicaInfo().release == 0)

        try world.importBundles(from: world.bundleURL("mm-main-2.snapshot.mrcb"))
        try replicaIsSound(world, release: 2)
    }

    @Test("a replica rebuilt over damage takes the next delta as usual")
    func deltaAfterRebuild() throws {
        var world = try World()
        try world.publish()
        let snapshot = world.bundleURL("mm-main-1.snapshot.mrcb")
        try world.importBundles(from: snapshot)
        try damage("article", in: world)
        _ = try Tool.syncd.run(["--config", world.configURL.path, "verify"])
        try world.importBundles(from: snapshot)
        world.content.reviseArticle(4, note: "Second release.")
        try world.publish()

        let report = try world.importBundles(from: world.bundleURL("mm-main-1-2.delta.mrcb"))

        #expect(report.applied.map(\.kind) == [.delta])
        try replicaIsSound(world, release: 2)
    }
}

private extension Optional {
    func unwrap() throws -> Wrapped {
        try #require(self)
    }
}
