import Foundation
import Testing
@testable import SyncCore

/// C-06: `mrc-syncd sync` killed with SIGKILL at each step of download and
/// apply, then run again.
@Suite("C-06 killed at every step", .serialized)
struct CrashTests {
    @Test("after a kill at any step the next run finishes, and the replica is never in between",
          arguments: CrashPoint.contentSteps)
    func killedAt(point: CrashPoint) throws {
        var world = try World()
        let served = world.scratch.path("served", "repository")
        world.content = ContentFixture(articleCount: 400, agencyCount: 300)
        try world.publish(into: served)
        let server = try FaultServer(root: served)
        defer { server.stop() }
        try world.useNetwork(server.baseURL, "stall_timeout = 3")
        let sync = ["--config", world.configURL.path, "sync"]
        #expect(try Tool.syncd.run(sync).status == 0)
        world.content.reviseArticle(3, note: "quokkasecond release")
        try world.publish(into: served)
        if point == .downloadHalfway {
            // Hold the body at its middle, so the kill lands there.
            let delta = try Data(contentsOf: served.appendingPathComponent("mm-main-1-2.delta.mrcb"))
            server.setBehaviour(
                .stall(afterBytes: delta.count / 2 + 1, trickleEvery: nil),
                forPath: "/mm-main-1-2.delta.mrcb")
        }

        let killed = try Tool.syncd.run(sync, environment: ["MRC_SYNCD_CRASH_AT": point.rawValue])

        #expect(killed.signal == SIGKILL, "\(killed.stderr)")
        let replica = try #require(try Replica.openReadOnly(at: world.configuration.replicaURL))
        #expect(try replica.integrityProblems().isEmpty)
        // Killed while indexing, the release is in; only the index lags.
        #expect(try replica.info().release == (point == .indexing ? 2 : 1))
        #expect(try replica.computeDigest() == (try replica.info()).contentDigest)
        #expect(try replica.searchIndexIsBehind() == (point == .indexing))

        server.setBehaviour(.normal, forPath: "/mm-main-1-2.delta.mrcb")
        let again = try Tool.syncd.run(sync)

        #expect(again.status == 0, "\(again.stderr)")
        let after = try #require(try Replica.openReadOnly(at: world.configuration.replicaURL))
        #expect(try after.info().release == 2)
        #expect(try after.integrityProblems().isEmpty)
        #expect(try after.computeDigest() == (try after.info()).contentDigest)
        #expect(try !after.searchIndexIsBehind())
        let article = world.content.articles[3]["id"] as! String
        #expect(try after.search("quokkasecond").map(\.recordID) == [article])
        // Healthy, but for the service not running in this test.
        let status = try StatusReport.gather(configuration: world.configuration)
        #expect(status.warnings.filter { !$0.contains("service is not running") }.isEmpty)
    }
}
