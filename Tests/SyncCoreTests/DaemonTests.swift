import Foundation
import Testing
@testable import SyncCore

/// The sync cycle and the daemon against a misbehaving loopback server.
@Suite("Network faults and the daemon", .serialized)
struct DaemonTests {
    /// A centre whose repository is served by a fault server.
    private func world(_ settings: String = "") throws -> (World, FaultServer) {
        var world = try World()
        world.content = ContentFixture(articleCount: 400, agencyCount: 300)
        let served = world.scratch.path("served", "repository")
        try world.publish(into: served)
        let server = try FaultServer(root: served)
        try world.useNetwork(server.baseURL, settings)
        return (world, server)
    }

    /// Starts a tool without waiting for it.
    private func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = Tool.buildDirectory.appendingPathComponent("mrc-syncd")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    private func waitFor(seconds: TimeInterval, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return try condition()
    }

    @Test("C-04 a stalled link: status answers meanwhile, then says the link stalled")
    func stalledLink() throws {
        let (world, server) = try world("stall_timeout = 3")
        defer { server.stop() }
        let snapshot = "/mm-main-1.snapshot.mrcb"
        let size = try Data(contentsOf: world.scratch.path("served", "repository", snapshot)).count
        server.setBehaviour(.stall(afterBytes: size / 10, trickleEvery: nil), forPath: snapshot)

        let sync = try start(["--config", world.configURL.path, "sync"])
        #expect(waitFor(seconds: 5) { server.bodyBytesSent(path: snapshot) >= size / 10 })
        let during = try Tool.syncd.run(["--config", world.configURL.path, "status", "--json"])
        #expect(during.status == 1)
        #expect(sync.isRunning)
        sync.waitUntilExit()

        #expect(sync.terminationStatus == SyncError.Code.network.rawValue)
        let status = try StatusReport.gather(configuration: world.configuration)
        #expect(status.lastSync?.message.contains("stalled") == true)
        let download = try #require(status.network?.download)
        #expect(download.file == "mm-main-1.snapshot.mrcb")
        #expect(download.bytes == size / 10)
        #expect(download.total == size)
        #expect(status.text().contains("to be continued"))

        server.setBehaviour(.normal, forPath: snapshot)
        try world.sync()
        #expect(server.bodyBytesSent(path: snapshot) == size)
        #expect(try world.state().network.download == nil)
    }

    @Test("503 with Retry-After: the cycle fails, the replica keeps serving, the wait is honoured")
    func serviceUnavailable() throws {
        let (world, server) = try world()
        defer { server.stop() }
        try world.sync()
        server.setBehaviour(.status(503, retryAfter: 900), forPath: nil)

        let error = try #require(throws: TransportError.self) { try world.sync() }

        #expect(error.retryAfter == 900)
        #expect(try world.replicaInfo().release == 1)
        #expect(Daemon.backoff(failures: 1, retryAfter: 900, cap: 3_600) == 900)
        #expect(Daemon.backoff(failures: 1, retryAfter: 900, cap: 600) == 600)
    }

    @Test("backoff doubles with jitter up to its cap")
    func backoff() {
        for failures in 1...12 {
            let step = min(3_600, 30 * pow(2, Double(failures - 1)))
            let delay = Daemon.backoff(failures: failures, retryAfter: nil, cap: 3_600)
            #expect(delay >= step / 2 && delay <= step)
        }
    }

    @Test("a download that would go past the monthly budget is not started")
    func budget() throws {
        let (world, server) = try world("monthly_budget = 20K")
        defer { server.stop() }
        // The snapshot alone is larger than the budget.
        let error = try #require(throws: SyncError.self) { try world.sync() }

        #expect(error.code == .budgetExhausted)
        #expect(error.message.contains("would go past"))
        #expect(try world.replicaInfo().release == 0)
        #expect(server.bodyBytesSent(path: "/mm-main-1.snapshot.mrcb") == 0)
        let used = try world.state().network.bytesThisMonth ?? 0
        #expect(used > 0 && used < 20 * 1024)
        let status = try StatusReport.gather(configuration: world.configuration)
        #expect(status.lastSync?.message.contains("data budget") == true)
        #expect(status.exitStatus == 1)
    }

    @Test("a used-up monthly budget stops even the index poll, and status says so")
    func budgetUsedUp() throws {
        let (world, server) = try world("monthly_budget = 400")
        defer { server.stop() }
        #expect(throws: SyncError.self) { try world.sync() }
        let used = try world.state().network.bytesThisMonth ?? 0
        #expect(used >= 400)

        let error = try #require(throws: SyncError.self) { try world.sync() }

        #expect(error.code == .budgetExhausted)
        #expect(server.requests.count == 1)
        let status = try StatusReport.gather(configuration: world.configuration)
        #expect(status.warnings.contains { $0.contains("data budget") && $0.contains("used up") })
    }

    @Test("the daemon syncs, and stops promptly and cleanly on SIGTERM")
    func daemonRunsAndStops() throws {
        let (world, server) = try world("poll_interval = 1h")
        defer { server.stop() }
        let daemon = try start(["--config", world.configURL.path, "run"])
        #expect(try waitFor(seconds: 10) { try world.replicaInfo().release == 1 })
        #expect(try waitFor(seconds: 5) { try world.state().network.waitingFor != nil })

        let second = try Tool.syncd.run(["--config", world.configURL.path, "run"])
        #expect(second.status == SyncError.Code.busy.rawValue)
        #expect(second.stderr.contains("already running"))

        let stopAsked = Date()
        kill(daemon.processIdentifier, SIGTERM)
        daemon.waitUntilExit()
        #expect(Date().timeIntervalSince(stopAsked) < 10)
        #expect(daemon.terminationReason == .exit && daemon.terminationStatus == 0)
    }

    @Test("a waiting daemon is mrc-syncd-idle: same process and lock, back on SIGHUP and SIGTERM")
    func waitsAsIdleProgram() throws {
        let (world, server) = try world("poll_interval = 1h")
        defer { server.stop() }
        let daemon = try start(["--config", world.configURL.path, "run"])
        defer { kill(daemon.processIdentifier, SIGKILL) }
        let pid = daemon.processIdentifier
        let files = FileManager.default
        func program() -> String? {
            try? files.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
        }
        func waiting() -> Bool { program()?.hasSuffix("/mrc-syncd-idle") == true }

        #expect(try waitFor(seconds: 20) { try world.replicaInfo().release == 1 && waiting() })
        // Of the state folder, only the daemon's lock is still open.
        let state = world.configuration.stateDirectory.resolvingSymlinksInPath().path
        let open = try files.contentsOfDirectory(atPath: "/proc/\(pid)/fd").compactMap {
            try? files.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)")
        }
        #expect(open.filter { $0.hasPrefix(state) } == [state + "/daemon.lock"], "\(open)")
        #expect(try StatusReport.gather(configuration: world.configuration).daemon.running)
        let second = try Tool.syncd.run(["--config", world.configURL.path, "run"])
        #expect(second.status == SyncError.Code.busy.rawValue)
        let record = { try JSONDecoder().decode(
            DaemonRecord.self,
            from: Data(contentsOf: world.configuration.stateDirectory
                .appendingPathComponent(DaemonRecord.fileName)))
        }
        let startedAt = try record().startedAt

        // SIGHUP: the daemon comes back, takes the new interval, waits again.
        let text = try String(contentsOf: world.configURL, encoding: .utf8)
        let longer = text.replacingOccurrences(of: "poll_interval = 1h", with: "poll_interval = 3h")
        try Data(longer.utf8).write(to: world.configURL)
        kill(pid, SIGHUP)
        #expect(try waitFor(seconds: 10) {
            let next = try world.state().network.nextAttemptAt.flatMap(Timestamp.parse)
            return next.map { $0.timeIntervalSinceNow > 2.5 * 3_600 } ?? false
        })
        #expect(waitFor(seconds: 10) { waiting() })

        // SIGTERM while waiting: a clean stop that the daemon records.
        kill(pid, SIGTERM)
        daemon.waitUntilExit()
        #expect(daemon.terminationReason == .exit && daemon.terminationStatus == 0)
        #expect(try record().activity == "Stopped")
        #expect(try record().startedAt == startedAt)
        #expect(try record().pid == pid)
    }

    @Test("outside the sync window the daemon waits and transfers nothing")
    func outsideWindow() throws {
        var calendar = Calendar.current
        calendar.timeZone = .current
        let hour = calendar.component(.hour, from: Date())
        let opening = (hour + 2) % 24
        let window = String(format: "%02d:00-%02d:00", opening, (opening + 1) % 24)
        let (world, server) = try world("sync_window = \(window)")
        defer { server.stop() }
        let daemon = try start(["--config", world.configURL.path, "run"])
        defer { kill(daemon.processIdentifier, SIGKILL) }

        #expect(try waitFor(seconds: 10) {
            try world.state().network.waitingFor == "the sync window"
        })
        #expect(server.requests.isEmpty)
        let status = try StatusReport.gather(configuration: world.configuration)
        #expect(status.network?.nextAttemptAt != nil)
        kill(daemon.processIdentifier, SIGTERM)
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)
    }
}
