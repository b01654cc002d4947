import Foundation
import Testing
@testable import SyncCore

/// Conditional requests for the index: what a centre remembers of one
/// server must not make another server, or a restored one, look unchanged.
@Suite("Conditional index requests")
struct IndexValidatorTests {
    /// Points the centre at `url` instead of the repository it used.
    private func configuration(_ world: World, repoURL url: URL) throws -> Configuration {
        let text = try String(contentsOf: world.configURL, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("repo_url") ? "repo_url = \(url.absoluteString)" : String($0) }
            .joined(separator: "\n")
        try Data(text.utf8).write(to: world.configURL)
        return try Configuration.load(from: world.configURL)
    }

    @Test("a new repository address is asked without the old server's validators")
    func newAddress() throws {
        var world = try World()
        let first = world.scratch.path("first")
        try world.publish(into: first)
        let firstServer = try FaultServer(root: first)
        defer { firstServer.stop() }
        try world.useNetwork(firstServer.baseURL)
        try world.sync()

        // The second server has release 2, in files dated long before the
        // first server's, and gives no ETags, as simple servers do.
        let second = world.scratch.path("second")
        try FileManager.default.copyItem(at: first, to: second)
        world.content.reviseArticle(3, note: "Second release.")
        try world.publish(into: second)
        for name in try FileManager.default.contentsOfDirectory(atPath: second.path) {
            try FileManager.default.setAttributes(
                [.modificationDate: Date(timeIntervalSince1970: 1_000_000_000)],
                ofItemAtPath: second.appendingPathComponent(name).path)
        }
        let secondServer = try FaultServer(root: second)
        defer { secondServer.stop() }
        secondServer.setBehaviour(.withoutETag, forPath: nil)

        let moved = try configuration(world, repoURL: secondServer.baseURL)
        let outcome = try SyncCycle(configuration: moved).run()

        #expect(outcome.toRelease == 2)
        let index = secondServer.requests.filter { $0.path == "/index.mrci" }
        #expect(index.map(\.status) == [200])
        #expect(try SyncState.load(from: moved.stateURL).network.indexURL
            == secondServer.baseURL.appendingPathComponent("index.mrci").absoluteString)
    }
}
