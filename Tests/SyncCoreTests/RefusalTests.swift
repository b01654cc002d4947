import Foundation
import Testing
@testable import SyncCore

/// Every kind of bad bundle is refused with its own code, and the replica's
/// files are byte for byte what they were.
@Suite("Refusing bundles")
struct RefusalTests {
    /// A world at release 2 with release 3 published but not imported.
    private func worldAtRelease2() throws -> World {
        var world = try World()
        try world.publish()
        world.content.reviseArticle(1, note: "two")
        try world.publish()
        world.content.reviseArticle(2, note: "three")
        try world.publish()
        try world.importBundles(from: world.bundleURL("mm-main-2.snapshot.mrcb"))
        return world
    }

    private func expectRefusal(
        _ code: SyncError.Code, importing url: URL, in world: World,
        mentioning phrase: String? = nil, isFailure: Bool = true
    ) throws {
        let before = try world.replicaBytes()
        let error = try #require(throws: SyncError.self) { try world.importBundles(from: url) }
        #expect(error.code == code)
        if let phrase { #expect(error.message.contains(phrase)) }
        #expect(try world.replicaBytes() == before)
        #expect(try world.replicaInfo().release == 2)
        let state = try SyncState.load(from: world.configuration.stateURL)
        #expect(state.lastSync?.ok == !isFailure)
        #expect(state.lastSync?.errorCode == code.rawValue)
    }

    @Test("a bundle signed with an unknown key")
    func unknownKey() throws {
        let world = try worldAtRelease2()
        let stranger = try World()
        try stranger.publish()
        try expectRefusal(
            .untrustedKey, importing: stranger.bundleURL("mm-main-1.snapshot.mrcb"), in: world,
            mentioning: "not among the trusted keys")
    }

    @Test("a bundle whose signature was replaced")
    func badSignature() throws {
        let world = try worldAtRelease2()
        var bytes = try Data(contentsOf: world.bundleURL("mm-main-3.snapshot.mrcb"))
        bytes[bytes.count - 1] ^= 0x01
        let forged = world.scratch.path("forged.mrcb")
        try bytes.write(to: forged)
        try expectRefusal(.badSignature, importing: forged, in: world, mentioning: "altered")
    }

    @Test("a bundle altered inside its compressed payload")
    func alteredPayload() throws {
        let world = try worldAtRelease2()
        var bytes = try Data(contentsOf: world.bundleURL("mm-main-3.snapshot.mrcb"))
        bytes[bytes.count / 2] ^= 0x20
        let altered = world.scratch.path("altered.mrcb")
        try bytes.write(to: altered)
        try expectRefusal(.badSignature, importing: altered, in: world)
    }

    @Test("a bundle with bytes appended")
    func appendedGarbage() throws {
        let world = try worldAtRelease2()
        var bytes = try Data(contentsOf: world.bundleURL("mm-main-3.snapshot.mrcb"))
        bytes.append(contentsOf: [0, 1, 2, 3])
        let altered = world.scratch.path("longer.mrcb")
        try bytes.write(to: altered)
        try expectRefusal(.badSignature, importing: altered, in: world)
    }

    @Test("a bundle for another channel")
    func otherChannel() throws {
        let world = try worldAtRelease2()
        let other = world.scratch.path("other-repo")
        try world.publish(channel: "th-border", into: other)
        try expectRefusal(
            .wrongChannel, importing: other.appendingPathComponent("th-border-1.snapshot.mrcb"),
            in: world, mentioning: "th-border")
    }

    @Test("a bundle of an older release")
    func olderRelease() throws {
        let world = try worldAtRelease2()
        try expectRefusal(
            .rollback, importing: world.bundleURL("mm-main-1.snapshot.mrcb"), in: world,
            mentioning: "already has release 2", isFailure: false)
    }

    @Test("a different bundle of the same release")
    func equalReleaseWithOtherContent() throws {
        var world = try worldAtRelease2()
        // Another repository signed by the same key, whose release 2 differs.
        let fork = world.scratch.path("fork")
        world.content.reviseArticle(9, note: "fork")
        try world.publish(into: fork)
        world.content.reviseArticle(9, note: "fork again")
        try world.publish(into: fork)
        try expectRefusal(
            .rollback, importing: fork.appendingPathComponent("mm-main-2.snapshot.mrcb"), in: world)
    }

    @Test("a delta whose base is not the replica's release")
    func deltaFromWrongBase() throws {
        let world = try worldAtRelease2()
        try expectRefusal(
            .baseMismatch, importing: world.bundleURL("mm-main-1-3.delta.mrcb"), in: world,
            mentioning: "updates release 1 to 3")
    }

    @Test("a signed delta changing a table the replica lacks, or has with other columns",
          arguments: [
              "CREATE TABLE extra (id TEXT PRIMARY KEY NOT NULL, note TEXT) WITHOUT ROWID",
              "CREATE TABLE topic (id TEXT PRIMARY KEY NOT NULL, position INTEGER, extra TEXT)",
          ])
    func patchsetForOtherTables(table: String) throws {
        let world = try worldAtRelease2()
        // A patchset made against tables of another shape, as a publisher
        // with a bug could write, signed with the trusted key.
        let scratch = try Database(path: ":memory:")
        try scratch.execute("ATTACH ':memory:' AS base")
        try scratch.execute(
            table.replacingOccurrences(of: "CREATE TABLE ", with: "CREATE TABLE base."))
        try scratch.execute(table)
        let name = table.split(separator: " ")[2]
        try scratch.execute("INSERT INTO \(name) (id) VALUES ('added')")
        let patchset = try Patchset.diff(in: scratch, from: "base", tables: [String(name)])
        let info = try world.replicaInfo()
        let update = ReleaseUpdate(
            kind: .delta, channel: "mm-main", baseRelease: 2, targetRelease: 3,
            publishedAt: Date(), schemaVersion: info.schemaVersion, schemaStatements: [],
            contentDigest: info.contentDigest, patchset: patchset)
        let file = world.scratch.path("mm-main-2-3.delta.mrcb")
        try Bundle.seal(update, key: world.signingKey).write(to: file)
        try expectRefusal(.malformed, importing: file, in: world, mentioning: String(name))
    }

    @Test("a signed delta whose compressed payload is damaged or cut short",
          arguments: ["damaged", "cut"])
    func damagedPayload(kind: String) throws {
        let world = try worldAtRelease2()
        let original = try Data(contentsOf: world.bundleURL("mm-main-2-3.delta.mrcb"))
        let file = try SignedFile.open(
            original, kind: .bundle, name: "delta", trustedKeys: [world.signingKey.publicKey])
        var payload = file.payload
        if kind == "damaged" {
            // Inside the deflate data; the Adler-32 check at the end fails.
            for index in (payload.count / 2)..<(payload.count / 2 + 8) { payload[index] ^= 0x5A }
        } else {
            payload = payload.prefix(payload.count / 2)
        }
        let resealed = world.scratch.path("mm-main-2-3.delta.mrcb")
        try SignedFile.seal(
            kind: .bundle, header: file.header, payload: payload, key: world.signingKey
        ).write(to: resealed)
        try expectRefusal(.malformed, importing: resealed, in: world, mentioning: "decompressed")
    }

    @Test("a file that is not a bundle at all")
    func notABundle() throws {
        let world = try worldAtRelease2()
        let junk = world.scratch.path("notes.mrcb")
        try Data("hello".utf8).write(to: junk)
        try expectRefusal(.notABundle, importing: junk, in: world)
    }

    /// C-05: cut right after the header, inside the compressed payload, and
    /// inside its last bytes.
    @Test("C-05 truncated bundles are refused as incomplete, naming the file",
          arguments: ["header", "payload", "last bytes"])
    func truncated(at place: String) throws {
        let world = try worldAtRelease2()
        let bytes = try Data(contentsOf: world.bundleURL("mm-main-3.snapshot.mrcb"))
        let headerLength = Int(UInt32(bigEndianBytes: [UInt8](bytes)[20..<24]))
        let cut: Int
        switch place {
        case "header": cut = 24 + headerLength
        case "payload": cut = (24 + headerLength + bytes.count) / 2
        default: cut = bytes.count - 3
        }
        let partial = world.scratch.path("mm-main-3.snapshot.mrcb")
        try bytes.prefix(cut).write(to: partial)
        try expectRefusal(.incomplete, importing: partial, in: world, mentioning: partial.path)
        let error = try #require(throws: SyncError.self) { try world.importBundles(from: partial) }
        #expect(error.message.contains("incomplete"))
    }
}
