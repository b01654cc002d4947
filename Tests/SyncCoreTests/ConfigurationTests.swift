import Foundation
import Testing
@testable import SyncCore

@Suite("Reading the configuration")
struct ConfigurationTests {
    private let path = URL(fileURLWithPath: "/etc/mrc-syncd/mrc-syncd.conf")

    @Test("keys, comments, relative paths and durations")
    func parses() throws {
        let configuration = try Configuration.parse(
            """
            # A centre in Yangon
            state_dir = /var/lib/mrc-syncd
            trusted_keys = keys/central.pub, /opt/keys/backup.pub   # two keys
            channel = mm-main
            centre_id = yangon-01
            stale_after = 12h
            """, path: path)
        #expect(configuration.trustedKeyPaths.map(\.path) == [
            "/etc/mrc-syncd/keys/central.pub", "/opt/keys/backup.pub",
        ])
        #expect(configuration.staleAfter == 43_200)
        #expect(configuration.replicaURL.path == "/var/lib/mrc-syncd/replica.sqlite")
    }

    @Test("mistakes name the file and line", arguments: [
        ("channel = mm-main\ncentre_id = x\ntrusted_keys = k\nchanel = y", "line 4: unknown setting"),
        ("channel = mm-main\ncentre_id = x", "\"trusted_keys\" is missing"),
        ("channel = MM Main\ncentre_id = x\ntrusted_keys = k", "may hold only"),
        ("channel = a\nchannel = b", "line 2: \"channel\" is set twice"),
        ("channel a", "line 1: expected `key = value`"),
        ("channel = a\ncentre_id = x\ntrusted_keys = k\nstale_after = soon", "not a duration"),
    ])
    func mistakes(text: String, expected: String) throws {
        let error = try #require(throws: SyncError.self) {
            try Configuration.parse(text, path: path)
        }
        #expect(error.code == .configuration)
        #expect(error.message.contains(expected), "\(error.message)")
        #expect(error.message.contains(path.path))
    }

    @Test("USB sticks are looked for under the desktop's folders unless usb_paths says")
    func usbPaths() throws {
        let base = "channel = mm-main\ncentre_id = x\ntrusted_keys = k.pub\n"
        let plain = try Configuration.parse(base, path: path)
        #expect(plain.usbPaths.map(\.path) == ["/media", "/mnt", "/run/media"])
        let chosen = try Configuration.parse(base + "usb_paths = /srv/sticks/, /media", path: path)
        #expect(chosen.usbPaths.map(\.path) == ["/srv/sticks", "/media"])
        let error = try #require(throws: SyncError.self) {
            try Configuration.parse(base + "usb_paths = sticks", path: path)
        }
        #expect(error.message.contains("usb_paths"))
        #expect(error.message.contains("absolute"))
    }

    @Test("durations accept plain seconds and s, m, h, d")
    func durations() {
        #expect(Duration.parseSeconds("90") == 90)
        #expect(Duration.parseSeconds("15m") == 900)
        #expect(Duration.parseSeconds("2d") == 172_800)
        #expect(Duration.parseSeconds("-1") == nil)
        #expect(Duration.parseSeconds("h") == nil)
    }

    @Test("a byte order mark and Windows line ends are accepted")
    func notepadFile() throws {
        let text = "\u{FEFF}channel = mm-main\r\ncentre_id = x\r\ntrusted_keys = k.pub\r\n"
        let configuration = try Configuration.parse(text, path: path)
        #expect(configuration.channel == "mm-main")
        #expect(configuration.centreID == "x")
    }

    @Test("quoted values are explained")
    func quotedValue() throws {
        let error = try #require(throws: SyncError.self) {
            try Configuration.parse("channel = \"mm-main\"", path: path)
        }
        #expect(error.message.contains("without quotes"))
    }

    @Test("network settings are read with their units")
    func networkSettings() throws {
        let configuration = try Configuration.parse(
            """
            channel = mm-main
            centre_id = x
            trusted_keys = k.pub
            repo_url = https://example.org/mm-main
            poll_interval = 30m
            bandwidth_limit = 64K
            stall_timeout = 45
            sync_window = 20:00-06:00
            monthly_budget = 2G
            """, path: path)
        let network = try #require(configuration.network)
        #expect(network.repositoryURL.absoluteString == "https://example.org/mm-main/")
        #expect(network.pollInterval == 1_800)
        #expect(network.limits.bandwidthLimit == 65_536)
        #expect(network.limits.stallTimeout == 45)
        #expect(network.monthlyBudget == 2 << 30)
        #expect(network.syncWindow == SyncWindow("20:00-06:00"))
    }

    @Test("a sync window may span midnight")
    func syncWindow() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let window = try #require(SyncWindow("20:00-06:00"))
        func at(_ hour: Int, _ minute: Int = 0) -> Date {
            calendar.date(from: DateComponents(year: 2026, month: 12, day: 3, hour: hour, minute: minute))!
        }
        #expect(window.contains(at(23), calendar: calendar))
        #expect(window.contains(at(5, 59), calendar: calendar))
        #expect(!window.contains(at(6), calendar: calendar))
        #expect(!window.contains(at(12), calendar: calendar))
        #expect(window.nextOpening(after: at(12), calendar: calendar) == at(20))
        #expect(SyncWindow("25:00-06:00") == nil)
    }

    @Test("network settings without repo_url are a mistake")
    func networkWithoutRepository() throws {
        let error = try #require(throws: SyncError.self) {
            try Configuration.parse(
                "channel = a\ncentre_id = x\ntrusted_keys = k\npoll_interval = 1h", path: path)
        }
        #expect(error.message.contains("repo_url is not"))
    }
}
