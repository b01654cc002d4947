import Foundation
import Testing
@testable import SyncCore

@Suite("Publishing releases")
struct PublisherTests {
    @Test("unchanged content makes no new release")
    func unchangedContent() throws {
        let world = try World()
        let directory = try world.content.write(to: world.scratch.path("content"))
        let publisher = try Publisher(
            repository: world.repository, key: world.signingKey, channel: "mm-main")
        #expect(try publisher.release(content: directory) == .published(
            release: 1, files: ["mm-main-1.snapshot.mrcb"]))
        let index = try Data(contentsOf: world.bundleURL(RepositoryIndex.fileName))

        #expect(try publisher.release(content: directory) == .unchanged(release: 1))
        #expect(try Data(contentsOf: world.bundleURL(RepositoryIndex.fileName)) == index)
    }

    @Test("each release gets a snapshot and deltas from 1, 2, 4 … releases back")
    func deltaDistances() throws {
        var world = try World()
        for release in 1...6 {
            world.content.reviseArticle(release, note: "r\(release)")
            #expect(try world.publish() == release)
        }
        let index = try RepositoryIndex.open(
            Data(contentsOf: world.bundleURL(RepositoryIndex.fileName)), name: "index",
            trustedKeys: [world.signingKey.publicKey])
        let six = index.bundles.filter { $0.targetRelease == 6 }.map(\.file).sorted()
        #expect(six == [
            "mm-main-2-6.delta.mrcb", "mm-main-4-6.delta.mrcb", "mm-main-5-6.delta.mrcb",
            "mm-main-6.snapshot.mrcb",
        ])
        #expect(index.latestRelease == 6)
        let report = try RepositoryVerifier.verify(
            repository: world.repository, trustedKeys: [world.signingKey.publicKey])
        #expect(report.problems.isEmpty)
        #expect(report.verified.count == index.bundles.count)
    }

    @Test("a delta for 1% of the articles changed is far smaller than the snapshot")
    func smallDelta() throws {
        var world = try World()
        world.content = ContentFixture(articleCount: 200, agencyCount: 200)
        try world.publish()
        world.content.reviseArticle(10, note: "A new fee rule applies from January.")
        world.content.reviseArticle(150, note: "The hotline now answers at night.")
        try world.publish()

        let snapshot = try FileManager.default
            .attributesOfItem(atPath: world.bundleURL("mm-main-2.snapshot.mrcb").path)[.size] as! Int
        let delta = try FileManager.default
            .attributesOfItem(atPath: world.bundleURL("mm-main-1-2.delta.mrcb").path)[.size] as! Int
        #expect(delta * 20 < snapshot, "delta \(delta) bytes, snapshot \(snapshot) bytes")
    }

    @Test("verify finds a bundle altered on the server")
    func verifyFindsTampering() throws {
        var world = try World()
        try world.publish()
        world.content.reviseArticle(1, note: "x")
        try world.publish()
        let url = world.bundleURL("mm-main-1-2.delta.mrcb")
        var bytes = try Data(contentsOf: url)
        bytes[bytes.count - 10] ^= 1
        try bytes.write(to: url)

        let report = try RepositoryVerifier.verify(
            repository: world.repository, trustedKeys: [world.signingKey.publicKey])
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.contains("mm-main-1-2.delta.mrcb") == true)
    }

    @Test("keygen writes secret keys readable only by their owner and never overwrites")
    func keygen() throws {
        let scratch = try Scratch()
        let keys = scratch.path("keys")
        try PublisherKeys.generate(into: keys)
        for (name, mode) in [("publisher.key", 0o600), ("inbox.key", 0o600),
                             ("publisher.pub", 0o644), ("inbox.pub", 0o644)] {
            let attributes = try FileManager.default
                .attributesOfItem(atPath: keys.appendingPathComponent(name).path)
            #expect((attributes[.posixPermissions] as? Int) == mode, "\(name)")
        }
        let secret = try Data(contentsOf: keys.appendingPathComponent("publisher.key"))
        #expect(throws: SyncError.self) { try PublisherKeys.generate(into: keys) }
        #expect(try Data(contentsOf: keys.appendingPathComponent("publisher.key")) == secret)
        // A secret key is not accepted where a public key is pinned.
        #expect(throws: SyncError.self) {
            try PublicKey.load(from: keys.appendingPathComponent("publisher.key"))
        }
    }
}
