import Foundation
import Testing
@testable import SyncCore

@Suite("The systemd notify protocol")
struct SystemdNotifierTests {
    @Test("without NOTIFY_SOCKET nothing is sent and there is no watchdog")
    func withoutSocket() {
        let notifier = SystemdNotifier(environment: ["WATCHDOG_USEC": "2000000"])
        #expect(!notifier.isEnabled)
        #expect(notifier.watchdogInterval == nil)
        #expect(notifier.secondsUntilKeepAlive() == nil)
        #expect(!notifier.send(["READY=1"]))
    }

    @Test("messages reach a socket named by its path")
    func pathSocket() throws {
        let scratch = try Scratch()
        let listener = try NotifyListener(in: scratch.url)
        defer { listener.stop() }
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.address])

        notifier.ready(status: "Starting")
        notifier.status("Idle")
        notifier.status("Idle")
        notifier.stopping(status: "Stopping")

        #expect(listener.waitFor(seconds: 5) { $0.count == 3 })
        let messages = listener.messages
        #expect(messages[0].has("READY=1"))
        #expect(messages[0].value("MAINPID") == String(getpid()))
        #expect(messages[0].value("STATUS") == "Starting")
        // A repeated status is not sent again.
        #expect(messages[1].fields == ["STATUS=Idle"])
        #expect(messages[2].has("STOPPING=1"))
    }

    @Test("an abstract socket is written with a leading @")
    func abstractSocket() throws {
        let listener = try NotifyListener(in: nil)
        defer { listener.stop() }
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.address])
        #expect(notifier.send(["STATUS=hello"]))
        #expect(listener.waitFor(seconds: 5) { $0.first?.value("STATUS") == "hello" })
    }

    @Test("WATCHDOG_USEC counts only when WATCHDOG_PID is absent or this process")
    func watchdogOwner() {
        let pid = getpid()
        #expect(SystemdNotifier.watchdogInterval(["WATCHDOG_USEC": "2000000"]) == 2)
        #expect(SystemdNotifier.watchdogInterval(
            ["WATCHDOG_USEC": "500000", "WATCHDOG_PID": String(pid)]) == 0.5)
        #expect(SystemdNotifier.watchdogInterval(
            ["WATCHDOG_USEC": "500000", "WATCHDOG_PID": String(pid + 1)]) == nil)
        #expect(SystemdNotifier.watchdogInterval(["WATCHDOG_USEC": "0"]) == nil)
        #expect(SystemdNotifier.watchdogInterval(["WATCHDOG_USEC": "soon"]) == nil)
    }

    @Test("keepAlive pings at most every half interval")
    func keepAliveThrottle() throws {
        let listener = try NotifyListener(in: nil)
        defer { listener.stop() }
        let notifier = SystemdNotifier(environment: [
            "NOTIFY_SOCKET": listener.address, "WATCHDOG_USEC": "600000000",
        ])
        for _ in 0..<1_000 { notifier.keepAlive() }
        #expect(listener.waitFor(seconds: 5) { !$0.isEmpty })
        Thread.sleep(forTimeInterval: 0.2)
        #expect(listener.messages.map(\.fields) == [["WATCHDOG=1"]])
        #expect(try #require(notifier.secondsUntilKeepAlive()) > 200)
    }

    @Test("socket names that cannot be used are refused, not trusted")
    func badAddresses() {
        #expect(SystemdNotifier.address(of: "relative/notify") == nil)
        #expect(SystemdNotifier.address(of: "@") == nil)
        #expect(SystemdNotifier.address(of: "/" + String(repeating: "x", count: 200)) == nil)
        #expect(SystemdNotifier.address(of: "vsock:2:1234") == nil)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "vsock:2:1234"])
        #expect(!notifier.isEnabled)
        #expect(notifier.problem != nil)
    }
}
