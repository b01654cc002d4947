import Foundation

/// What network sync remembers between polls; part of `state.json`.
public struct NetworkState: Codable, Equatable, Sendable {
    public struct Download: Codable, Equatable, Sendable {
        public var file: String
        public var bytes: Int
        public var total: Int
    }

    /// ISO 8601, UTC: the last poll that reached the repository.
    public var lastPollAt: String?
    /// Validators of the cached index, for conditional requests, and the
    /// address they came from: another server's would mean nothing there.
    public var indexETag: String?
    public var indexLastModified: String?
    public var indexURL: String?
    /// The newest `latest_release` of any verified index; an index older
    /// than this is refused.
    public var highestIndexRelease: Int?
    /// The bundle being downloaded, if a transfer is under way or was cut.
    public var download: Download?
    /// When the daemon will try next, and why it waits, in plain words.
    public var nextAttemptAt: String?
    public var waitingFor: String?
    public var consecutiveFailures: Int?
    /// "YYYY-MM" of the month `bytesThisMonth` counts.
    public var usageMonth: String?
    public var bytesThisMonth: Int?
    /// Local clock minus the server's clock, from the last HTTP Date header.
    public var clockSkewSeconds: Double?
    /// Why the last upload of visitor questions failed; nil once one works.
    public var uploadProblem: String?

    enum CodingKeys: String, CodingKey {
        case lastPollAt = "last_poll_at"
        case indexETag = "index_etag"
        case indexLastModified = "index_last_modified"
        case indexURL = "index_url"
        case highestIndexRelease = "highest_index_release"
        case download
        case nextAttemptAt = "next_attempt_at"
        case waitingFor = "waiting_for"
        case consecutiveFailures = "consecutive_failures"
        case usageMonth = "usage_month"
        case bytesThisMonth = "bytes_this_month"
        case clockSkewSeconds = "clock_skew_seconds"
        case uploadProblem = "upload_problem"
    }

    public init() {}

    /// Bytes counted for the month of `date`; a new month starts at 0.
    public func bytesUsed(inMonthOf date: Date) -> Int {
        usageMonth == Self.month(of: date) ? (bytesThisMonth ?? 0) : 0
    }

    public mutating func addUsage(_ bytes: Int, at date: Date) {
        let month = Self.month(of: date)
        if usageMonth != month {
            usageMonth = month
            bytesThisMonth = 0
        }
        bytesThisMonth = (bytesThisMonth ?? 0) + bytes
    }

    static func month(of date: Date) -> String {
        let parts = Calendar(identifier: .gregorian).dateComponents([.year, .month], from: date)
        return String(format: "%04d-%02d", parts.year ?? 0, parts.month ?? 0)
    }
}
