import Foundation

/// Checks a repository as a centre would see it: the index and every
/// bundle it lists are signed by a trusted key, match their listed size and
/// hash, and, applied to a scratch replica, produce the content digest they
/// claim.
public enum RepositoryVerifier {
    public struct Report: Sendable {
        public var index: RepositoryIndex
        /// One line per bundle that checked out.
        public var verified: [String]
        /// Everything that is wrong, in plain words; empty when all is well.
        public var problems: [String]
    }

    public static func verify(repository: URL, trustedKeys: [PublicKey]) throws -> Report {
        let indexURL = repository.appendingPathComponent(RepositoryIndex.fileName)
        let index = try RepositoryIndex.open(
            FileSystem.read(indexURL), name: indexURL.path, trustedKeys: trustedKeys)
        var report = Report(index: index, verified: [], problems: [])
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("mrc-verify-\(UUID().uuidString)")
        try FileSystem.createDirectory(scratch)
        defer { try? FileManager.default.removeItem(at: scratch) }

        var updates = [String: ReleaseUpdate]()
        for entry in index.bundles {
            do {
                updates[entry.file] = try check(entry, in: repository, index: index, keys: trustedKeys)
            } catch let error as SyncError {
                report.problems.append(error.message)
            }
        }
        // Apply each snapshot alone, and each delta onto its base snapshot.
        let snapshots = index.bundles.filter { $0.kind == .snapshot }
        for entry in index.bundles {
            guard let update = updates[entry.file] else { continue }
            let replicaURL = scratch.appendingPathComponent("\(entry.file).sqlite")
            do {
                let replica = try Replica.openForWriting(at: replicaURL)
                if entry.kind == .delta {
                    guard let base = snapshots.first(where: { $0.targetRelease == entry.baseRelease }),
                          let baseUpdate = updates[base.file]
                    else {
                        report.verified.append("\(entry.file): signature and hash ok "
                            + "(no snapshot of release \(entry.baseRelease) to apply it to)")
                        continue
                    }
                    try replica.apply(baseUpdate, channel: index.channel)
                }
                try replica.apply(update, channel: index.channel)
                report.verified.append("\(entry.file): ok")
            } catch let error as SyncError {
                report.problems.append("\(entry.file): \(error.message)")
            }
        }

        let listed = Set(index.bundles.map(\.file))
        let present = (try? FileManager.default.contentsOfDirectory(atPath: repository.path)) ?? []
        for name in present.sorted()
        where name.hasSuffix(".\(Bundle.fileExtension)") && !listed.contains(name) {
            report.problems.append("\(name) is in the repository but not in its index.")
        }
        if !index.bundles.contains(where: {
            $0.kind == .snapshot && $0.targetRelease == index.latestRelease
        }) {
            report.problems.append(
                "The index names release \(index.latestRelease) as the latest, "
                    + "but lists no snapshot of it.")
        }
        return report
    }

    private static func check(
        _ entry: RepositoryIndex.Entry, in repository: URL, index: RepositoryIndex,
        keys: [PublicKey]
    ) throws -> ReleaseUpdate {
        let url = repository.appendingPathComponent(entry.file)
        let data = try FileSystem.read(url)
        guard data.count == entry.size else {
            throw SyncError(
                .incomplete, "\(entry.file) has \(data.count) bytes; the index lists \(entry.size).")
        }
        guard Hash.sha256(data).hexString == entry.sha256 else {
            throw SyncError(.badSignature, "\(entry.file) does not match its hash in the index.")
        }
        let bundle = try Bundle.open(data, name: entry.file, trustedKeys: keys)
        let header = bundle.header
        guard header.channel == index.channel, header.kind == entry.kind,
              header.baseRelease == entry.baseRelease, header.targetRelease == entry.targetRelease,
              header.fileName == entry.file
        else {
            throw SyncError(.malformed, "\(entry.file) does not match its entry in the index.")
        }
        return try bundle.releaseUpdate()
    }
}
