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

    @Test("durations accept plain seconds and s, m, h, d")
    func durations() {
        #expect(Duration.parseSeconds("90") == 90)
        #expect(Duration.parseSeconds("15m") == 900)
        #expect(Duration.parseSeconds("2d") == 172_800)
        #expect(Duration.parseSeconds("-1") == nil)
        #expect(Duration.parseSeconds("h") == nil)
    }
}
