import Foundation
import Testing
@testable import SyncCore

@Suite("USB sticks")
struct USBStickTests {
    /// C-07: junk beside two valid bundles of different releases.
    @Test("C-07 stray files are ignored and the chain to the newest release is applied")
    func strayFiles() throws {
        var world = try World()
        try world.publish()
        world.content.reviseArticle(0, note: "second")
        try world.publish()
        let stick = try world.stick(["mm-main-1.snapshot.mrcb", "mm-main-1-2.delta.mrcb"])
        try Data(repeating: 0x00, count: 4096)
            .write(to: stick.appendingPathComponent("._mm-main-1-2.delta.mrcb"))
        let volumeInfo = try world.scratch.directory("usb", "System Volume Information")
        try Data("x".utf8).write(to: volumeInfo.appendingPathComponent("IndexerVolumeGuid"))
        let trashes = try world.scratch.directory("usb", ".Trashes", "501")
        try FileManager.default.copyItem(
            at: world.bundleURL("mm-main-1.snapshot.mrcb"),
            to: trashes.appendingPathComponent("old.mrcb"))
        try Data().write(to: stick.appendingPathComponent("empty.mrcb"))
        // Half copied: the first 40% of the snapshot.
        let snapshot = try Data(contentsOf: world.bundleURL("mm-main-2.snapshot.mrcb"))
        try snapshot.prefix(snapshot.count * 4 / 10)
            .write(to: stick.appendingPathComponent("mm-main-2.snapshot.mrcb"))

        let report = try world.importBundles(from: stick)

        #expect(report.toRelease == 2)
        #expect(report.applied.map(\.fileName) == ["mm-main-1.snapshot.mrcb", "mm-main-1-2.delta.mrcb"])
        #expect(report.refused.isEmpty)
        let state = try SyncState.load(from: world.configuration.stateURL)
        #expect(state.lastSync?.ok == true)
        let status = try StatusReport.gather(configuration: world.configuration)
        #expect(status.warnings.isEmpty)
    }

    @Test("a forged bundle beside good ones is reported, and the good ones still apply")
    func forgedBesideGood() throws {
        let world = try World()
        try world.publish()
        let stick = try world.stick(["mm-main-1.snapshot.mrcb"])
        var forged = try Data(contentsOf: world.bundleURL("mm-main-1.snapshot.mrcb"))
        forged[forged.count / 2] ^= 0x01
        try forged.write(to: stick.appendingPathComponent("mm-main-9.snapshot.mrcb"))

        let report = try world.importBundles(from: stick)

        #expect(report.toRelease == 1)
        #expect(report.refused.map(\.code) == [.badSignature])
        let status = try StatusReport.gather(configuration: world.configuration)
        #expect(status.exitStatus == 1)
    }

    /// C-08: the watched path exists but nothing is mounted on it.
    @Test("C-08 an empty stick changes nothing and status says nothing was found")
    func emptyStick() throws {
        let world = try World()
        try world.publish()
        try world.importBundles(from: world.bundleURL("mm-main-1.snapshot.mrcb"))
        let before = try world.replicaBytes()
        let mountPoint = try world.scratch.directory("media", "usb")

        let report = try world.importBundles(from: mountPoint)

        #expect(report.applied.isEmpty)
        #expect(try world.replicaBytes() == before)
        #expect(try world.replicaInfo().release == 1)
        let status = try StatusReport.gather(configuration: world.configuration)
        #expect(status.release == 1)
        #expect(status.lastSync?.message.contains("No bundles") == true)
        #expect(status.lastSync?.source == mountPoint.path)
    }

    @Test("a path that does not exist is a clear error and changes nothing")
    func missingPath() throws {
        let world = try World()
        let error = try #require(throws: SyncError.self) {
            try world.importBundles(from: world.scratch.path("no-such-stick"))
        }
        #expect(error.code == .sourceMissing)
        #expect(error.message.contains("plugged in"))
        #expect(!FileManager.default.fileExists(atPath: world.configuration.replicaURL.path))
    }

    @Test("bundles that cannot reach the replica's release are explained")
    func unreachableRelease() throws {
        var world = try World()
        try world.publish()
        try world.importBundles(from: world.bundleURL("mm-main-1.snapshot.mrcb"))
        for note in ["2", "3"] {
            world.content.reviseArticle(5, note: note)
            try world.publish()
        }
        let stick = try world.stick(["mm-main-2-3.delta.mrcb"])
        let error = try #require(throws: SyncError.self) { try world.importBundles(from: stick) }
        #expect(error.code == .noUsableChain)
        #expect(error.message.contains("full snapshot of release 3"))
    }
}
