import Foundation
import Testing
@testable import SyncCore

/// Syncing over HTTP from a real nginx on loopback, serving the repository
/// with the configuration shipped in deploy/nginx.
@Suite("Network sync against nginx", .serialized)
struct NetworkSyncTests {
    private func world(releases: Int = 1) throws -> (World, NginxServer) {
        var world = try World()
        for release in 1...releases {
            world.content.reviseArticle(release, note: "release \(release)")
            try world.publish(into: world.scratch.path("served", "repository"))
        }
        let server = try NginxServer(
            repository: world.scratch.path("served", "repository"),
            uploads: try world.scratch.directory("served", "uploads"))
        try world.useNetwork(server.baseURL)
        return (world, server)
    }

    private func publishNext(_ world: inout World, note: String) throws {
        world.content.reviseArticle(7, note: note)
        try world.publish(into: world.scratch.path("served", "repository"))
    }

    @Test("the first sync from empty installs the newest snapshot")
    func firstSync() throws {
        let (world, server) = try world(releases: 2)
        defer { server.stop() }
        let outcome = try world.sync()

        #expect(outcome.toRelease == 2)
        #expect(outcome.applied.map(\.fileName) == ["mm-main-2.snapshot.mrcb"])
        #expect(try world.replicaInfo().release == 2)
        let state = try world.state()
        #expect(state.lastSync?.ok == true)
        #expect(state.network.lastPollAt != nil)
        #expect(state.network.bytesThisMonth == outcome.bytesReceived)
        // Nothing is left behind in the downloads folder.
        #expect(try FileManager.default.contentsOfDirectory(
            atPath: world.configuration.downloadsURL.path).isEmpty)
    }

    @Test("after a new release only the delta crosses the network")
    func deltaSync() throws {
        var (world, server) = try world()
        defer { server.stop() }
        try world.sync()
        try publishNext(&world, note: "second")

        let outcome = try world.sync()

        #expect(outcome.applied.map(\.fileName) == ["mm-main-1-2.delta.mrcb"])
        #expect(server.bytesSent(path: "/mm-main-2.snapshot.mrcb") == 0)
        let delta = try Data(contentsOf: world.scratch.path(
            "served", "repository", "mm-main-1-2.delta.mrcb"))
        #expect(server.bytesSent(path: "/mm-main-1-2.delta.mrcb") == delta.count)
    }

    @Test("a centre several releases behind catches up in few small steps")
    func severalBehind() throws {
        var (world, server) = try world()
        defer { server.stop() }
        try world.sync()
        for note in ["b", "c", "d", "e"] { try publishNext(&world, note: note) }

        let outcome = try world.sync()

        #expect(outcome.toRelease == 5)
        #expect(outcome.applied.allSatisfy { $0.kind == .delta })
        #expect(outcome.applied.count <= 2)
        let replica = try #require(try Replica.openReadOnly(at: world.configuration.replicaURL))
        #expect(try replica.computeDigest() == (try world.replicaInfo()).contentDigest)
    }

    @Test("an unchanged index costs a 304 and transfers no bundle")
    func unchangedIndex() throws {
        let (world, server) = try world()
        defer { server.stop() }
        try world.sync()
        let before = server.requests.count

        let outcome = try world.sync()

        let after = Array(server.requests.dropFirst(before))
        #expect(after.map(\.path) == ["/index.mrci"])
        #expect(after.first?.status == 304)
        #expect(after.first?.bodyBytesSent == 0)
        #expect(outcome.applied.isEmpty)
    }

    @Test("a bad bundle on the server is refused and the last good release keeps serving")
    func badBundleOnServer() throws {
        var (world, server) = try world()
        defer { server.stop() }
        try world.sync()
        try publishNext(&world, note: "tampered on the server")
        for file in ["mm-main-1-2.delta.mrcb", "mm-main-2.snapshot.mrcb"] {
            let url = world.scratch.path("served", "repository", file)
            var bytes = try Data(contentsOf: url)
            bytes[bytes.count / 2] ^= 0x10
            try bytes.write(to: url)
        }
        let before = try world.replicaBytes()

        #expect(throws: TransportError.self) { try world.sync() }

        #expect(try world.replicaBytes() == before)
        #expect(try world.replicaInfo().release == 1)
        let status = try StatusReport.gather(configuration: world.configuration)
        #expect(status.release == 1)
        #expect(status.lastSync?.ok == false)
        #expect(status.lastSync?.message.contains("not the file the index lists") == true)
    }

    @Test("an index older than one seen before is refused")
    func olderIndex() throws {
        var (world, server) = try world()
        defer { server.stop() }
        let served = world.scratch.path("served", "repository")
        let oldIndex = try Data(contentsOf: served.appendingPathComponent("index.mrci"))
        try publishNext(&world, note: "two")
        try world.sync()
        // The server is restored from last week's backup.
        try oldIndex.write(to: served.appendingPathComponent("index.mrci"))

        let error = try #require(throws: SyncError.self) { try world.sync() }

        #expect(error.code == .staleIndex)
        #expect(try world.replicaInfo().release == 2)
    }
}

@Suite("C-11 a wrong clock", .serialized)
struct WrongClockTests {
    @Test("a clock in 1970 or two years ahead still syncs, and status says the clock is wrong",
          arguments: ["1970", "two years ahead"])
    func wrongClock(clock: String) throws {
        let offset: TimeInterval = clock == "1970"
            ? 86_400 - Date().timeIntervalSince1970 : 2 * 365 * 86_400
        var world = try World()
        try world.publish(into: world.scratch.path("served", "repository"))
        let server = try NginxServer(
            repository: world.scratch.path("served", "repository"),
            uploads: try world.scratch.directory("served", "uploads"))
        defer { server.stop() }
        try world.useNetwork(server.baseURL)
        let skewed: @Sendable () -> Date = { Date().addingTimeInterval(offset) }

        let outcome = try world.sync(now: skewed)

        #expect(outcome.toRelease == 1)
        let status = try StatusReport.gather(configuration: world.configuration, now: skewed())
        #expect(status.release == 1)
        let clockWarnings = status.warnings.filter { $0.contains("clock") }
        #expect(clockWarnings.count >= 1)
        #expect(clockWarnings.contains { $0.contains(offset > 0 ? "ahead of" : "behind") })
        #expect(status.text().contains("published \(StatusReport.humanDate(status.publishedAt!))"))
    }

    @Test("without a network, content installed two years after publication makes status doubt the clock")
    func clockAheadWithoutServer() throws {
        let world = try World()
        try world.publish()
        try world.importBundles(from: world.repository)
        // The stick was imported while the clock said two years later.
        let ahead = Date().addingTimeInterval(2 * 365 * 86_400)
        let database = try Database(path: world.configuration.replicaURL.path)
        try database.run(
            "UPDATE replica_meta SET value = ? WHERE key = 'applied_at'",
            [.text(Timestamp.format(ahead))])

        let status = try StatusReport.gather(configuration: world.configuration, now: ahead)

        let warning = try #require(status.warnings.first { $0.contains("published on") })
        #expect(warning.contains("clock may be ahead"))
        #expect(warning.contains(StatusReport.humanDate(status.publishedAt!)))
        // Installed soon after publication, old content is simply old.
        try database.run(
            "UPDATE replica_meta SET value = ? WHERE key = 'applied_at'",
            [.text(Timestamp.format(Date()))])
        let plain = try StatusReport.gather(configuration: world.configuration, now: ahead)
        #expect(!plain.warnings.contains { $0.contains("clock") })
        #expect(plain.warnings.contains { $0.contains("old") })
    }
}
