import Foundation
import Testing
@testable import SyncCore

@Suite("The command-line tools")
struct CommandLineTests {
    @Test("publish, import from a stick, and status as staff see it")
    func endToEnd() throws {
        let world = try World()
        let content = try world.content.write(to: world.scratch.path("content"))
        let release = try Tool.publish.run([
            "release", "--content", content.path, "--repo", world.repository.path,
            "--key", world.keys.appendingPathComponent("publisher.key").path,
        ])
        #expect(release.status == 0)
        #expect(release.stdout == "1\n")

        let stick = try world.stick(["mm-main-1.snapshot.mrcb"])
        let imported = try Tool.syncd.run(["--config", world.configURL.path, "import", stick.path])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("Installed release 1"))
        #expect(imported.stderr.contains("[1/1]"))

        let status = try Tool.syncd.run(["--config", world.configURL.path, "status"])
        #expect(status.status == 0)
        #expect(status.stdout.contains("release 1, published"))
        #expect(status.stdout.contains("nothing needs attention"))

        let verify = try Tool.syncd.run(["--config", world.configURL.path, "verify"])
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("intact"))
    }

    @Test("status --json has the documented keys")
    func statusJSON() throws {
        let world = try World()
        try world.publish()
        try world.importBundles(from: world.bundleURL("mm-main-1.snapshot.mrcb"))
        let result = try Tool.syncd.run(["--config", world.configURL.path, "status", "--json"])
        #expect(result.status == 0)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["channel"] as? String == "mm-main")
        #expect(object["release"] as? Int == 1)
        #expect(object["published_at"] is String)
        #expect((object["content_digest"] as? String)?.count == 128)
        #expect((object["warnings"] as? [Any])?.isEmpty == true)
        let lastSync = try #require(object["last_sync"] as? [String: Any])
        #expect(lastSync["ok"] as? Bool == true)
        #expect(lastSync["source"] as? String == world.bundleURL("mm-main-1.snapshot.mrcb").path)
        #expect(lastSync["at"] is String && lastSync["message"] is String)
    }

    @Test("status before any import: release null, exit 1, and nothing created")
    func statusBeforeImport() throws {
        let world = try World()
        let result = try Tool.syncd.run(["--config", world.configURL.path, "status", "--json"])
        #expect(result.status == 1)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["release"] is NSNull)
        #expect((object["warnings"] as? [String])?.first?.contains("No content") == true)
        #expect(!FileManager.default.fileExists(atPath: world.configuration.stateDirectory.path))
    }

    @Test("status with an unreadable configuration exits 2")
    func statusWithoutConfiguration() throws {
        let scratch = try Scratch()
        let result = try Tool.syncd.run(["--config", scratch.path("missing.conf").path, "status"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("missing.conf"))
    }

    @Test("usb-paths prints the configured stick folders, one a line")
    func usbPaths() throws {
        let world = try World()
        let text = try String(contentsOf: world.configURL, encoding: .utf8)
        try (text + "\nusb_paths = /srv/sticks, /media\n")
            .write(to: world.configURL, atomically: true, encoding: .utf8)
        let result = try Tool.syncd.run(["--config", world.configURL.path, "usb-paths"])
        #expect(result.status == 0)
        #expect(result.stdout == "/srv/sticks\n/media\n")
    }

    @Test("export-queries without inbox_key says the questions wait and why")
    func exportWithoutInboxKey() throws {
        let world = try World()
        let config = ["--config", world.configURL.path]
        #expect(try Tool.syncd.run(config + ["log-query", "Is the agency licensed?"]).status == 0)
        let stick = try world.scratch.directory("stick")

        let result = try Tool.syncd.run(config + ["export-queries", stick.path])

        #expect(result.status == SyncError.Code.configuration.rawValue)
        #expect(result.stderr.contains("1 visitor question(s) are waiting"))
        #expect(result.stderr.contains("inbox_key"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: stick.path).isEmpty)
    }

    @Test("verify of an empty replica file at a new centre says nothing is installed")
    func verifyEmptyReplica() throws {
        let world = try World()
        try FileManager.default.createDirectory(
            at: world.configuration.stateDirectory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(
            atPath: world.configuration.replicaURL.path, contents: nil)

        let verify = try Tool.syncd.run(["--config", world.configURL.path, "verify"])

        #expect(verify.status == 0)
        #expect(verify.stdout.contains("No content is installed yet"))
    }

    @Test("status reads the replica without creating or changing a file")
    func statusIsReadOnly() throws {
        let world = try World()
        try world.publish()
        try world.importBundles(from: world.bundleURL("mm-main-1.snapshot.mrcb"))
        let state = world.configuration.stateDirectory
        func listing() throws -> [String: Data] {
            var files = [String: Data]()
            for name in try FileManager.default.contentsOfDirectory(atPath: state.path)
            where !name.hasSuffix("-shm") {
                files[name] = try Data(contentsOf: state.appendingPathComponent(name))
            }
            return files
        }
        let before = try listing()
        let names = Set(try FileManager.default.contentsOfDirectory(atPath: state.path))
        for _ in 0..<3 {
            #expect(try Tool.syncd.run(["--config", world.configURL.path, "status"]).status == 0)
        }
        #expect(try listing() == before)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: state.path)) == names)
    }

    @Test("a refused import exits with the refusal's own code and says so in status")
    func refusalExitCode() throws {
        var world = try World()
        try world.publish()
        world.content.reviseArticle(0, note: "2")
        try world.publish()
        let result = try Tool.syncd.run([
            "--config", world.configURL.path, "import",
            world.bundleURL("mm-main-1-2.delta.mrcb").path,
        ])
        #expect(result.status == SyncError.Code.baseMismatch.rawValue)
        #expect(result.stderr.contains("Nothing was changed"))

        let status = try Tool.syncd.run(["--config", world.configURL.path, "status"])
        #expect(status.status == 1)
        #expect(status.stdout.contains("did not work"))
    }

    @Test("invalid content stops mrc-publish with the file, record and field")
    func invalidContent() throws {
        var world = try World()
        world.content.articles[0]["body"] = ["my": "စာ"]
        let content = try world.content.write(to: world.scratch.path("content"))
        let result = try Tool.publish.run([
            "release", "--content", content.path, "--repo", world.repository.path,
            "--key", world.keys.appendingPathComponent("publisher.key").path,
        ])
        #expect(result.status == SyncError.Code.invalidContent.rawValue)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains(
            "articles.json, record 1 (id \"article-0\"), field \"body\": the English (en) text is missing"))
        #expect(!FileManager.default.fileExists(
            atPath: world.repository.appendingPathComponent("index.mrci").path))
    }

    @Test("an unknown command is a usage error")
    func unknownCommand() throws {
        let result = try Tool.syncd.run(["frobnicate"])
        #expect(result.status == SyncError.Code.usage.rawValue)
        #expect(result.stderr.contains("Unknown command"))
    }

    /// C-10: a writer holds a transaction while staff run status.
    @Test("C-10 status answers from the last committed release while a writer holds a transaction")
    func statusDuringWrite() throws {
        var world = try World()
        try world.publish()
        try world.importBundles(from: world.bundleURL("mm-main-1.snapshot.mrcb"))
        world.content.reviseArticle(1, note: "two")
        try world.publish()
        let writer = try Database(path: world.configuration.replicaURL.path)
        try writer.execute("BEGIN IMMEDIATE")
        try writer.execute("UPDATE replica_meta SET value = '99' WHERE key = 'release'")
        try writer.execute("DELETE FROM article")

        for _ in 0..<5 {
            let status = try Tool.syncd.run(["--config", world.configURL.path, "status", "--json"])
            #expect(status.status == 0)
            let object = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8))
            #expect((object as? [String: Any])?["release"] as? Int == 1)
        }
        // An import meanwhile is told to wait, and changes nothing.
        let busy = try Tool.syncd.run([
            "--config", world.configURL.path, "import", world.repository.path,
        ])
        #expect(busy.status != 0)
        try writer.execute("ROLLBACK")
        #expect(try world.replicaInfo().release == 1)
    }
}
