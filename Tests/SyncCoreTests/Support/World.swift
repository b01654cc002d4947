import Foundation
@testable import SyncCore

/// A central office and one centre, each with its own folders inside a
/// scratch directory: the cast of most end-to-end tests.
struct World {
    let scratch: Scratch
    let keys: URL
    let repository: URL
    let signingKey: SigningKey
    private(set) var configuration: Configuration
    let configURL: URL
    var content = ContentFixture()

    init(channel: String = "mm-main") throws {
        scratch = try Scratch()
        keys = scratch.path("keys")
        try PublisherKeys.generate(into: keys)
        signingKey = try SigningKey.load(from: keys.appendingPathComponent("publisher.key"))
        repository = scratch.path("repo")
        configURL = scratch.path("centre.conf")
        let text = """
            state_dir = state
            trusted_keys = keys/publisher.pub
            channel = \(channel)
            centre_id = test-centre
            """
        try Data(text.utf8).write(to: configURL)
        configuration = try Configuration.load(from: configURL)
    }

    /// Adds network settings to the centre's configuration: `repo_url`
    /// and any further `key = value` lines.
    mutating func useNetwork(_ repository: URL, _ settings: String = "") throws {
        var text = try String(contentsOf: configURL, encoding: .utf8)
        text += "\nrepo_url = \(repository.absoluteString)\n\(settings)\n"
        try Data(text.utf8).write(to: configURL)
        configuration = try Configuration.load(from: configURL)
    }

    /// One network sync cycle, as `mrc-syncd sync` runs it.
    @discardableResult
    func sync(now: @escaping @Sendable () -> Date = { Date() }) throws -> SyncCycle.Outcome {
        try SyncCycle(configuration: configuration, now: now).run()
    }

    func state() throws -> SyncState {
        try SyncState.load(from: configuration.stateURL)
    }

    /// Publishes the current `content` and returns the new release number.
    @discardableResult
    func publish(channel: String = "mm-main", into repository: URL? = nil) throws -> Int {
        let directory = try content.write(to: scratch.path("content-\(UUID().uuidString)"))
        let publisher = try Publisher(
            repository: repository ?? self.repository, key: signingKey, channel: channel)
        switch try publisher.release(content: directory) {
        case .published(let release, _): return release
        case .unchanged(let release): return release
        }
    }

    func bundleURL(_ name: String) -> URL {
        repository.appendingPathComponent(name)
    }

    func importer() -> Importer {
        Importer(configuration: configuration)
    }

    @discardableResult
    func importBundles(from url: URL) throws -> Importer.Report {
        try importer().importBundles(from: url)
    }

    func replicaInfo() throws -> ReplicaInfo {
        try Replica.openReadOnly(at: configuration.replicaURL)?.info() ?? .empty
    }

    /// The bytes of the replica and its write-ahead log: what must not
    /// change when a bundle is refused.
    func replicaBytes() throws -> [Data] {
        let base = configuration.replicaURL.path
        return [base, base + "-wal"].map { path in
            FileManager.default.contents(atPath: path) ?? Data()
        }
    }

    /// Copies repository files onto a simulated USB stick.
    func stick(_ files: [String], named name: String = "usb") throws -> URL {
        let stick = try scratch.directory(name)
        for file in files {
            try FileManager.default.copyItem(
                at: bundleURL(file), to: stick.appendingPathComponent(file))
        }
        return stick
    }
}
