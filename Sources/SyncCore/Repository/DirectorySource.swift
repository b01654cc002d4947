import Foundation

/// The bundles found under a directory: a mounted USB stick, a copied
/// repository, or a single bundle file.
///
/// A stick prepared on another system carries junk beside the bundles
/// (`._name` resource forks, `System Volume Information`, `.Trashes`,
/// half-copied files). Files that are not ours are skipped quietly; files
/// that are ours but forged or altered are refused and reported.
public struct DirectorySource: Sendable {
    /// A bundle that verified, remembered by path; it is read and verified
    /// again when applied, in case the file changed in between. A single
    /// file named as the source keeps what was verified instead, and that
    /// is what is applied.
    public struct Found: Sendable {
        public let url: URL
        public let header: BundleHeader
        public let size: Int
        public let verified: Bundle?

        public var offer: BundleOffer {
            BundleOffer(
                kind: header.kind, baseRelease: header.baseRelease,
                targetRelease: header.targetRelease, size: size, location: url.path)
        }
    }

    /// A file that was left out, and why, in plain words.
    public struct Skipped: Sendable {
        public let path: String
        public let reason: String
    }

    public let root: URL
    public private(set) var bundles: [Found] = []
    public private(set) var skipped: [Skipped] = []
    /// Bundles that failed verification: forged, altered, or unreadable.
    public private(set) var refused: [SyncError] = []
    /// Bundles cut short, as by a copy that was interrupted: not applied,
    /// and reported so that staff can copy them again.
    public private(set) var incomplete: [SyncError] = []

    /// Folders that operating systems create on removable media.
    static let ignoredFolders: Set<String> = [
        "System Volume Information", "$RECYCLE.BIN", "RECYCLER", "lost+found",
    ]

    /// How deep below `root` to look; a stick full of photos should not be
    /// walked to the bottom.
    static let maximumDepth = 6

    /// Finds and verifies every bundle under `root` for `channel`.
    ///
    /// - Throws: `.sourceMissing` when `root` does not exist, and
    ///   `.storage` when a file cannot be read (for example, the stick was
    ///   pulled out), so that a broken read never looks like an empty stick.
    public static func scan(_ root: URL, channel: String, trustedKeys: [PublicKey]) throws
        -> DirectorySource
    {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory) else {
            throw SyncError(
                .sourceMissing,
                "\(root.path) does not exist. If it is a USB stick, check that it is "
                    + "plugged in and mounted.")
        }
        var source = DirectorySource(root: root)
        if isDirectory.boolValue {
            for url in try source.candidateFiles(under: root, depth: 0) {
                try source.consider(url, channel: channel, trustedKeys: trustedKeys, strict: false)
            }
        } else {
            try source.consider(root, channel: channel, trustedKeys: trustedKeys, strict: true)
        }
        return source
    }

    private init(root: URL) {
        self.root = root
    }

    /// Looks at one file. With `strict`, for a file named on the command
    /// line, every problem is refused; otherwise junk is skipped.
    private mutating func consider(
        _ url: URL, channel: String, trustedKeys: [PublicKey], strict: Bool
    ) throws {
        let data = try FileSystem.read(url)
        do {
            let bundle = try Bundle.open(data, name: url.path, trustedKeys: trustedKeys)
            if bundle.header.channel != channel && !strict {
                skipped.append(Skipped(
                    path: url.path, reason: "for the channel \(bundle.header.channel)"))
                return
            }
            bundles.append(Found(
                url: url, header: bundle.header, size: data.count,
                verified: strict ? bundle : nil))
        } catch let error as SyncError where !strict {
            switch error.code {
            case .notABundle:
                skipped.append(Skipped(path: url.path, reason: "not a bundle"))
            case .incomplete:
                incomplete.append(error)
            default:
                refused.append(error)
            }
        }
    }

    /// The `.mrcb` files below `directory`. Symbolic links are not
    /// followed: the file systems of USB sticks have none, and following
    /// them could lead out of the stick or round in circles. A folder that
    /// may not be read is skipped; any other failure to list one (the stick
    /// was pulled out) stops the import.
    private mutating func candidateFiles(under directory: URL, depth: Int) throws -> [URL] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        } catch {
            if depth > 0 && FileSystem.isPermissionDenied(error) {
                skipped.append(Skipped(path: directory.path, reason: "the folder may not be read"))
                return []
            }
            throw SyncError(
                .storage,
                "Could not read the folder \(directory.path) (\(FileSystem.reason(of: error))). "
                    + "If it is on a USB stick, the stick may have been pulled out; plug it in "
                    + "and try again. Nothing was changed.")
        }
        var found = [URL]()
        for name in names where !name.hasPrefix(".") && !Self.ignoredFolders.contains(name) {
            let url = directory.appendingPathComponent(name)
            let type = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.type]
                as? FileAttributeType
            switch type {
            case .typeDirectory? where depth < Self.maximumDepth:
                found += try candidateFiles(under: url, depth: depth + 1)
            case .typeRegular? where url.pathExtension == Bundle.fileExtension:
                found.append(url)
            case .typeSymbolicLink? where url.pathExtension == Bundle.fileExtension:
                skipped.append(Skipped(path: url.path, reason: "a link, not a file"))
            default:
                continue
            }
        }
        return found
    }
}
