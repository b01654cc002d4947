import Foundation

/// Why a transfer did not complete. Transport errors are expected on a
/// centre's link; the daemon backs off and tries again.
public struct TransportError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Equatable, Sendable {
        /// The link failed: no route, refused, reset, timed out connecting.
        case network
        /// Data stopped flowing for longer than the stall timeout.
        case stalled
        /// The server answered with an unexpected HTTP status.
        case httpStatus(Int)
        /// The bytes received are not the file the index promised.
        case mismatch
        /// Stopped on purpose: shutdown, or the sync window closed.
        case cancelled
        /// A local problem: a file could not be written, libcurl failed.
        case local
    }

    public let kind: Kind
    public let message: String
    /// How long the server asked us to wait (`Retry-After`), if it did.
    public var retryAfter: TimeInterval?

    public init(kind: Kind, message: String, retryAfter: TimeInterval? = nil) {
        self.kind = kind
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String { message }
}
