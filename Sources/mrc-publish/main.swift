import Foundation
import SyncCore

let usage = """
    Usage: mrc-publish COMMAND [OPTIONS]

    Publishes signed content releases for Migrant Resource Centres.

    Commands:
      keygen --out DIR
          Create the signing key pair (publisher.key, publisher.pub) and the
          key pair for visitor-query uploads (inbox.key, inbox.pub).
      release --content DIR --repo DIR --key FILE [--channel NAME] [--inbox-db FILE]
          Check the content and publish it as the next release; prints the
          new release number. The channel defaults to mm-main. With
          --inbox-db, the release also acknowledges the query batches
          received, so that centres can delete their copies.
      ingest --uploads DIR --key inbox.key --db FILE
          Open and load the visitor-query batches found under DIR (an upload
          folder or a stick's mrc-queries folder), each batch once.
      report --db FILE [--json]
          Per centre: queries by topic and language, and when it was last
          heard from.
      verify --repo DIR --trusted-key FILE
          Check the index and every bundle of a repository.
      help
          Show this text.

    """

do {
    let parsed = try Arguments(
        Array(CommandLine.arguments.dropFirst()),
        options: [
            "--out", "--content", "--repo", "--key", "--channel", "--trusted-key", "--inbox-db",
            "--uploads", "--db",
        ],
        flags: ["--help", "--json"])
    guard let command = parsed.positional.first, command != "help", !parsed.has("--help") else {
        // Asked for, the usage is the result; otherwise it explains an error.
        let asked = parsed.has("--help") || !parsed.positional.isEmpty
        (asked ? FileHandle.standardOutput : FileHandle.standardError).write(Data(usage.utf8))
        exit(asked ? 0 : SyncError.Code.usage.rawValue)
    }
    guard parsed.positional.count == 1 else {
        throw SyncError(.usage, "Unexpected argument \(parsed.positional[1]).")
    }
    switch command {
    case "keygen":
        let out = URL(fileURLWithPath: try parsed.required("--out", for: command))
        try PublisherKeys.generate(into: out)
        note("Keys written to \(out.path). Keep publisher.key and inbox.key secret; "
            + "give publisher.pub and inbox.pub to the centres.")
    case "release":
        let key = try SigningKey.load(
            from: URL(fileURLWithPath: try parsed.required("--key", for: command)))
        let publisher = try Publisher(
            repository: URL(fileURLWithPath: try parsed.required("--repo", for: command)),
            key: key, channel: parsed.value("--channel") ?? "mm-main")
        let content = URL(fileURLWithPath: try parsed.required("--content", for: command))
        let acknowledgements = try parsed.value("--inbox-db").map {
            try QueryInbox(path: URL(fileURLWithPath: $0)).acknowledgements()
        } ?? []
        switch try publisher.release(content: content, acknowledgements: acknowledgements) {
        case .published(let release, let files):
            note("Published release \(release): \(files.joined(separator: ", ")).")
            print(release)
        case .unchanged(let release):
            note("The content is the same as release \(release); no new release was made.")
        }
    case "verify":
        let keyURL = URL(fileURLWithPath: try parsed.required("--trusted-key", for: command))
        let report = try RepositoryVerifier.verify(
            repository: URL(fileURLWithPath: try parsed.required("--repo", for: command)),
            trustedKeys: [try PublicKey.load(from: keyURL)])
        for line in report.verified { print(line) }
        for problem in report.problems { note("problem: \(problem)") }
        if !report.problems.isEmpty {
            note("\(report.problems.count) problem(s) found.")
            exit(1)
        }
        note("The index and all \(report.index.bundles.count) bundles are good; "
            + "the latest release is \(report.index.latestRelease).")
    case "ingest":
        let key = try InboxKeyPair.load(
            secretKeyAt: URL(fileURLWithPath: try parsed.required("--key", for: command)))
        let inbox = try QueryInbox(path: URL(fileURLWithPath: try parsed.required("--db", for: command)))
        let report = try inbox.ingest(
            uploads: URL(fileURLWithPath: try parsed.required("--uploads", for: command)), key: key)
        for problem in report.problems { note("problem: \(problem)") }
        print("\(report.newBatches) new batch(es) with \(report.newQueries) queries; "
            + "\(report.duplicates) already loaded.")
        if !report.problems.isEmpty { exit(1) }
    case "report":
        let inbox = try QueryInbox(path: URL(fileURLWithPath: try parsed.required("--db", for: command)))
        let centres = try inbox.report()
        if parsed.has("--json") {
            let object: [String: Any] = ["centres": centres.map { centre -> [String: Any] in
                [
                    "centre_id": centre.centreID, "queries": centre.queries,
                    "last_heard_at": centre.lastHeardAt.map { $0 as Any } ?? NSNull(),
                    "by_topic": centre.byTopic, "by_language": centre.byLanguage,
                ]
            }]
            let data = try JSONSerialization.data(
                withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for centre in centres {
                print("\(centre.centreID): \(centre.queries) queries, last heard from "
                    + "\(centre.lastHeardAt ?? "never")")
                let topics = centre.byTopic.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
                print("  by topic: " + topics.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                let languages = centre.byLanguage.sorted { $0.key < $1.key }
                print("  by language: "
                    + languages.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            }
            if centres.isEmpty { print("No queries have arrived yet.") }
        }
    default:
        throw SyncError(.usage, "Unknown command \"\(command)\". Run \"mrc-publish help\".")
    }
} catch let error as SyncError {
    note("mrc-publish: \(error.message)")
    exit(error.exitStatus)
} catch {
    note("mrc-publish: \(error)")
    exit(1)
}

/// Diagnostics go to standard error; standard output is for results.
func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
