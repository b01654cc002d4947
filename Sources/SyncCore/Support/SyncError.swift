/// A failure that field staff or the central content team can act on.
///
/// `message` is written for a person, in plain words: what happened and what
/// to do. `code` is stable, pattern-matchable, and becomes the process exit
/// status of the command line tools.
public struct SyncError: Error, CustomStringConvertible, Sendable {
    public enum Code: Int32, Sendable, CaseIterable {
        /// The command line was wrong.
        case usage = 64
        /// The configuration file is missing or has a bad value.
        case configuration = 78
        /// A bundle or index is signed by a key this centre does not trust.
        case untrustedKey = 10
        /// The signature does not match: the file was altered or damaged.
        case badSignature = 11
        /// The file is shorter than it says it is: a download or copy was cut.
        case incomplete = 12
        /// The bundle belongs to another channel.
        case wrongChannel = 13
        /// The bundle would take the replica to an older or equal release.
        case rollback = 14
        /// A delta whose base release is not the replica's release.
        case baseMismatch = 15
        /// The replica's digest after applying differs from the signed one.
        case digestMismatch = 16
        /// A format or schema version newer than this program understands.
        case unsupportedVersion = 17
        /// A correctly signed file whose contents cannot be read.
        case malformed = 18
        /// Bundles were found but none can bring the replica forward.
        case noUsableChain = 19
        /// Reading or writing local files or the replica failed.
        case storage = 20
        /// Another process is applying bundles to the same replica.
        case busy = 21
        /// The file is not an mrc-syncd bundle or index at all.
        case notABundle = 22
        /// The path to import from does not exist or cannot be listed.
        case sourceMissing = 23
        /// The content given to the publisher is not valid.
        case invalidContent = 30
        /// The repository could not be reached or a transfer failed; the
        /// daemon retries later.
        case network = 40
        /// This month's data budget is used up; transfers wait for the next.
        case budgetExhausted = 41
        /// The server offers an older index than this centre has seen, as
        /// after a restore from backup; it is not trusted to go back.
        case staleIndex = 42
        /// No repository address is configured for network sync.
        case noRepository = 43
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// The exit status that a command reporting this error returns.
    public var exitStatus: Int32 { code.rawValue }
}
