import Foundation
import Testing
@testable import SyncCore

/// `mrc-syncd run` as systemd runs it: the notify protocol, the watchdog,
/// stopping in the middle of work, reloading, and what `status` says.
@Suite("The daemon as a systemd service", .serialized)
struct ServiceTests {
    /// A centre whose repository, with release 1 of `articles` articles, is
    /// served by a fault server.
    private func world(articles: Int = 200, _ settings: String = "poll_interval = 1h") throws
        -> (World, FaultServer)
    {
        var world = try World()
        world.content = ContentFixture(articleCount: articles, agencyCount: articles / 4)
        let served = world.scratch.path("served", "repository")
        try world.publish(into: served)
        let server = try FaultServer(root: served)
        try world.useNetwork(server.baseURL, settings)
        return (world, server)
    }

    private func start(_ world: World, _ listener: NotifyListener, watchdog: String? = nil)
        throws -> DaemonProcess
    {
        var environment = ["NOTIFY_SOCKET": listener.address]
        environment["WATCHDOG_USEC"] = watchdog
        return try DaemonProcess(
            config: world.configURL, environment: environment, logIn: world.scratch.url)
    }

    private func isIdle(_ messages: [NotifyListener.Message]) -> Bool {
        messages.contains { $0.value("STATUS")?.hasPrefix("Idle; next check at") == true }
    }

    private func replicaIsIntact(_ world: World) throws -> Bool {
        guard let replica = try Replica.openReadOnly(at: world.configuration.replicaURL) else {
            return true
        }
        return try replica.integrityProblems().isEmpty
    }

    @Test("READY, what it does as STATUS, WATCHDOG also during a long apply, STOPPING")
    func notifyProtocol() throws {
        // Large enough that applying it takes several watchdog intervals.
        let (world, server) = try world(articles: 3_000)
        defer { server.stop() }
        let listener = try NotifyListener(in: world.scratch.url)
        defer { listener.stop() }
        let daemon = try start(world, listener, watchdog: "1000000")

        #expect(listener.waitFor(seconds: 120) { isIdle($0) }, "\(daemon.log)")
        // Idle, it still pings: twice more after saying so.
        #expect(listener.waitFor(seconds: 10) { messages in
            let idle = messages.firstIndex { $0.value("STATUS")?.hasPrefix("Idle") == true }!
            return messages[idle...].filter { $0.has("WATCHDOG=1") }.count >= 2
        })
        let stopTime = daemon.terminate()
        #expect(stopTime < 10)
        #expect(daemon.exitedCleanly)
        #expect(listener.waitFor(seconds: 5) { $0.contains { $0.has("STOPPING=1") } })

        let messages = listener.messages
        #expect(messages.first?.has("READY=1") == true)
        #expect(messages.first?.value("MAINPID") == String(daemon.pid))
        let statuses = listener.statuses
        #expect(statuses.contains { $0.hasPrefix("Checking 127.0.0.1 for new content") })
        #expect(statuses.contains { $0.hasPrefix("Downloading release 1 (full)") })
        #expect(statuses.contains("Installing release 1"))
        #expect(statuses.contains("Updating the search index for release 1"))
        #expect(statuses.suffix(2) == ["Stopping", "Stopped"])

        // From "Installing" to the status after "Updating the search index"
        // only the release's transaction and the index's run: any ping
        // there came from inside an SQLite transaction.
        let installing = try #require(
            messages.firstIndex { $0.value("STATUS") == "Installing release 1" })
        let indexing = try #require(messages[installing...].firstIndex {
            $0.value("STATUS") == "Updating the search index for release 1"
        })
        let installed = try #require(
            messages[(indexing + 1)...].firstIndex { $0.value("STATUS") != nil })
        let pings = messages[installing..<installed].filter { $0.has("WATCHDOG=1") }
        let seconds = messages[installed].arrived.timeIntervalSince(messages[installing].arrived)
        #expect(pings.count >= 1, "no ping while installing and indexing for \(seconds) s")
        #expect(try world.replicaInfo().release == 1)
    }

    @Test("a watchdog meant for another process is not fed")
    func watchdogForAnotherProcess() throws {
        let (world, server) = try world()
        defer { server.stop() }
        let listener = try NotifyListener(in: world.scratch.url)
        defer { listener.stop() }
        let daemon = try DaemonProcess(
            config: world.configURL,
            environment: [
                "NOTIFY_SOCKET": listener.address, "WATCHDOG_USEC": "200000",
                "WATCHDOG_PID": "1",
            ],
            logIn: world.scratch.url)

        #expect(listener.waitFor(seconds: 60) { isIdle($0) }, "\(daemon.log)")
        Thread.sleep(forTimeInterval: 1)
        daemon.terminate()
        #expect(daemon.exitedCleanly)
        #expect(!listener.messages.contains { $0.has("WATCHDOG=1") })
    }

    @Test("SIGTERM in the middle of a download: a prompt, clean stop, the partial file kept")
    func stopDuringDownload() throws {
        let (world, server) = try world(articles: 400)
        defer { server.stop() }
        let snapshot = "/mm-main-1.snapshot.mrcb"
        let size = try Data(contentsOf: world.scratch.path("served", "repository", snapshot)).count
        server.setBehaviour(.stall(afterBytes: size / 3, trickleEvery: nil), forPath: snapshot)
        let listener = try NotifyListener(in: world.scratch.url)
        defer { listener.stop() }
        let daemon = try start(world, listener, watchdog: "2000000")

        #expect(eventually(seconds: 30) { server.bodyBytesSent(path: snapshot) >= size / 3 })
        #expect(listener.waitFor(seconds: 10) { messages in
            messages.contains { $0.value("STATUS")?.hasPrefix("Downloading") == true }
        })
        let stopTime = daemon.terminate()

        #expect(stopTime < 10)
        #expect(daemon.exitedCleanly, "\(daemon.log)")
        #expect(listener.messages.contains { $0.has("STOPPING=1") })
        #expect(try replicaIsIntact(world))
        #expect(try world.replicaInfo().release == 0)
        let partial = world.configuration.downloadsURL
            .appendingPathComponent("mm-main-1.snapshot.mrcb.part")
        let kept = try FileManager.default.attributesOfItem(atPath: partial.path)[.size] as? Int
        #expect(kept == size / 3)
    }

    @Test("SIGTERM in the middle of an apply: a prompt stop, the replica at a whole release")
    func stopDuringApply() throws {
        let (world, server) = try world(articles: 3_000)
        defer { server.stop() }
        let listener = try NotifyListener(in: world.scratch.url)
        defer { listener.stop() }
        let daemon = try start(world, listener, watchdog: "2000000")

        #expect(listener.waitFor(seconds: 60) { messages in
            messages.contains { $0.value("STATUS") == "Installing release 1" }
        }, "\(daemon.log)")
        let stopTime = daemon.terminate()

        #expect(stopTime < 10)
        #expect(daemon.exitedCleanly, "\(daemon.log)")
        #expect(try replicaIsIntact(world))
        #expect([0, 1].contains(try world.replicaInfo().release))

        // The next start finishes the job from the bytes already downloaded.
        let again = try start(world, listener)
        #expect(try eventually(seconds: 60) { try world.replicaInfo().release == 1 })
        #expect(again.terminate() < 10)
        #expect(server.bodyBytesSent(path: "/mm-main-1.snapshot.mrcb")
            == (try Data(contentsOf: world.scratch.path(
                "served", "repository", "mm-main-1.snapshot.mrcb"))).count)
    }

    @Test("SIGHUP reads the configuration again; a bad one is logged and the old one kept")
    func reload() throws {
        let (world, server) = try world()
        defer { server.stop() }
        let listener = try NotifyListener(in: world.scratch.url)
        defer { listener.stop() }
        let daemon = try start(world, listener)
        #expect(listener.waitFor(seconds: 60) { isIdle($0) }, "\(daemon.log)")
        let before = try #require(
            try world.state().network.nextAttemptAt.flatMap(Timestamp.parse))

        let original = try String(contentsOf: world.configURL, encoding: .utf8)
        let longer = original.replacingOccurrences(
            of: "poll_interval = 1h", with: "poll_interval = 3h")
        #expect(longer != original)
        try Data(longer.utf8).write(to: world.configURL)
        daemon.signal(SIGHUP)

        #expect(try eventually(seconds: 10) {
            try world.state().network.nextAttemptAt.flatMap(Timestamp.parse) != before
        })
        let after = try #require(
            try world.state().network.nextAttemptAt.flatMap(Timestamp.parse))
        #expect(abs(after.timeIntervalSince(before) - 2 * 3_600) < 60)
        #expect(listener.waitFor(seconds: 5) { messages in
            guard let reloading = messages.lastIndex(where: { $0.has("RELOADING=1") })
            else { return false }
            return messages[reloading...].contains { $0.has("READY=1") }
        })
        #expect(daemon.log.contains("daemon.reloaded"))

        try Data((longer + "\nno_such_setting = 1\n").utf8).write(to: world.configURL)
        daemon.signal(SIGHUP)
        #expect(eventually(seconds: 10) { daemon.log.contains("daemon.reload_failed") })
        #expect(daemon.process.isRunning)
        #expect(try world.state().network.nextAttemptAt.flatMap(Timestamp.parse) == after)

        #expect(daemon.terminate() < 10)
        #expect(daemon.exitedCleanly)
    }

    @Test("status shows the daemon running, its pid and activity, and not running after stop")
    func statusKnowsTheDaemon() throws {
        let (world, server) = try world()
        defer { server.stop() }
        let listener = try NotifyListener(in: world.scratch.url)
        defer { listener.stop() }
        let daemon = try start(world, listener)
        #expect(listener.waitFor(seconds: 60) { isIdle($0) }, "\(daemon.log)")
        // daemon.json is written at most once a second.
        #expect(try eventually(seconds: 5) {
            let report = try StatusReport.gather(configuration: world.configuration)
            return report.daemon.activity?.hasPrefix("Idle") == true
        })

        let json = try Tool.syncd.run(["--config", world.configURL.path, "status", "--json"])
        #expect(json.status == 0, "\(json.stdout)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let running = try #require(object["daemon"] as? [String: Any])
        #expect(running["running"] as? Bool == true)
        #expect(running["pid"] as? Int == Int(daemon.pid))
        #expect((running["activity"] as? String)?.hasPrefix("Idle; next check at") == true)
        #expect(running["since"] is String)
        let text = try Tool.syncd.run(["--config", world.configURL.path, "status"])
        #expect(text.stdout.contains("Service:      running for "))
        #expect(text.stdout.contains("(pid \(daemon.pid)): Idle; next check at"))

        #expect(daemon.terminate() < 10)
        let stopped = try Tool.syncd.run(["--config", world.configURL.path, "status", "--json"])
        #expect(stopped.status == 1)
        let after = try #require(
            try JSONSerialization.jsonObject(with: Data(stopped.stdout.utf8)) as? [String: Any])
        let notRunning = try #require(after["daemon"] as? [String: Any])
        #expect(notRunning["running"] as? Bool == false)
        #expect(notRunning["pid"] is NSNull)
        #expect((after["warnings"] as? [String])?.contains { $0.contains("not running") } == true)
        let stoppedText = try Tool.syncd.run(["--config", world.configURL.path, "status"])
        #expect(stoppedText.stdout.contains("systemctl start mrc-syncd"))
    }

    @Test("a centre without repo_url needs no daemon: status does not warn")
    func usbOnlyCentre() throws {
        let world = try World()
        try world.publish()
        try world.importBundles(from: world.bundleURL("mm-main-1.snapshot.mrcb"))
        let result = try Tool.syncd.run(["--config", world.configURL.path, "status"])
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("not running (not needed"))
    }
}
