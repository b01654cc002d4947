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

    /// C-05 on a stick: a cut bundle alone is refused, naming the file.
    @Test("C-05 a stick holding only a cut bundle is refused as incomplete")
    func onlyIncompleteBundle() throws {
        let world = try World()
        try world.publish()
        let stick = try world.scratch.directory("usb")
        let bytes = try Data(contentsOf: world.bundleURL("mm-main-1.snapshot.mrcb"))
        let cut = stick.appendingPathComponent("mm-main-1.snapshot.mrcb")
        try bytes.prefix(bytes.count / 2).write(to: cut)

        let error = try #require(throws: SyncError.self) { try world.importBundles(from: stick) }

        #expect(error.code == .incomplete)
        #expect(error.message.contains(cut.path) && error.message.contains("incomplete"))
        #expect(!FileManager.default.fileExists(atPath: world.configuration.replicaURL.path))
        #expect(try world.state().lastSync?.ok == false)
    }

    @Test("a cut bundle beside a usable chain is left out and named in the report")
    func incompleteBesideGood() throws {
        var world = try World()
        try world.publish()
        world.content.reviseArticle(0, note: "two")
        try world.publish()
        let stick = try world.stick(["mm-main-1.snapshot.mrcb"])
        let bytes = try Data(contentsOf: world.bundleURL("mm-main-1-2.delta.mrcb"))
        try bytes.prefix(bytes.count - 5)
            .write(to: stick.appendingPathComponent("mm-main-1-2.delta.mrcb"))

        let report = try world.importBundles(from: stick)

        #expect(report.toRelease == 1)
        #expect(report.incomplete.map(\.code) == [.incomplete])
        #expect(report.message.contains("mm-main-1-2.delta.mrcb"))
        #expect(report.exitStatus == 0)
        let status = try StatusReport.gather(configuration: world.configuration)
        #expect(status.exitStatus == 1)
    }

    @Test("refused files are named even when the centre is already current")
    func refusalWhenCurrent() throws {
        let world = try World()
        try world.publish()
        try world.importBundles(from: world.bundleURL("mm-main-1.snapshot.mrcb"))
        let stick = try world.stick(["mm-main-1.snapshot.mrcb"])
        var forged = try Data(contentsOf: world.bundleURL("mm-main-1.snapshot.mrcb"))
        forged[forged.count / 3] ^= 4
        try forged.write(to: stick.appendingPathComponent("bad.mrcb"))

        let report = try world.importBundles(from: stick)

        #expect(report.exitStatus == SyncError.Code.badSignature.rawValue)
        #expect(report.message.contains("bad.mrcb"))
        #expect(report.message.contains("already installed"))
    }

    @Test("links on a stick are not followed, so a loop costs nothing")
    func symbolicLinks() throws {
        let world = try World()
        try world.publish()
        let stick = try world.stick(["mm-main-1.snapshot.mrcb"])
        for index in 0..<5 {
            try FileManager.default.createSymbolicLink(
                atPath: stick.appendingPathComponent("loop\(index)").path, withDestinationPath: ".")
        }
        try FileManager.default.createSymbolicLink(
            atPath: stick.appendingPathComponent("up.mrcb").path, withDestinationPath: "..")

        let scan = try DirectorySource.scan(
            stick, channel: "mm-main", trustedKeys: [world.signingKey.publicKey])

        #expect(scan.bundles.count == 1)
        #expect(scan.refused.isEmpty)
    }
}
