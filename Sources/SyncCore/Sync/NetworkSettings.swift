import Foundation

/// The settings that govern syncing over the network.
public struct NetworkSettings: Sendable {
    /// The repository's folder URL, always ending in `/`.
    public var repositoryURL: URL
    public var pollInterval: TimeInterval
    /// The longest wait between retries after failures.
    public var retryMax: TimeInterval
    public var limits: TransferLimits
    /// Transfers happen only inside this daily window, if set.
    public var syncWindow: SyncWindow?
    /// Bytes a calendar month may use, if capped.
    public var monthlyBudget: Int?

    init?(_ reader: SettingReader) throws {
        guard let text = reader.string("repo_url") else {
            for key in ["poll_interval", "bandwidth_limit", "stall_timeout", "sync_window",
                        "monthly_budget", "retry_max"] where reader.values[key] != nil {
                throw reader.error(key, "is set, but repo_url is not.")
            }
            return nil
        }
        let withSlash = text.hasSuffix("/") ? text : text + "/"
        guard let url = URL(string: withSlash), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", url.host != nil
        else {
            throw reader.error("repo_url", "\"\(text)\" is not an http:// or https:// address.")
        }
        repositoryURL = url
        pollInterval = try reader.duration("poll_interval", default: 3_600)
        retryMax = try reader.duration("retry_max", default: 6 * 3_600)
        guard pollInterval >= 1, retryMax >= 1 else {
            throw reader.error("poll_interval", "and retry_max must be at least one second.")
        }
        limits = TransferLimits(
            bandwidthLimit: try reader.bytes("bandwidth_limit"),
            stallTimeout: try reader.duration("stall_timeout", default: 60))
        monthlyBudget = try reader.bytes("monthly_budget")
        if let window = reader.string("sync_window") {
            guard let parsed = SyncWindow(window) else {
                throw reader.error("sync_window", "\"\(window)\" is not a time range such as 20:00-06:00.")
            }
            syncWindow = parsed
        }
    }
}

/// A daily time range in local time, e.g. `20:00-06:00`, which may span
/// midnight.
public struct SyncWindow: Equatable, Sendable {
    /// Minutes after local midnight.
    public let start: Int
    public let end: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "-").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let start = Self.minutes(parts[0]), let end = Self.minutes(parts[1]),
              start != end
        else { return nil }
        self.start = start
        self.end = end
    }

    private static func minutes(_ text: String) -> Int? {
        let fields = text.split(separator: ":")
        guard fields.count == 2, let hour = Int(fields[0]), let minute = Int(fields[1]),
              (0...23).contains(hour), (0...59).contains(minute)
        else { return nil }
        return hour * 60 + minute
    }

    public func contains(_ date: Date, calendar: Calendar = .current) -> Bool {
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        let now = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        return start < end ? (start..<end).contains(now) : (now >= start || now < end)
    }

    /// The next moment the window opens after `date` (or `date` itself if
    /// it is open).
    public func nextOpening(after date: Date, calendar: Calendar = .current) -> Date {
        if contains(date, calendar: calendar) { return date }
        let today = calendar.startOfDay(for: date)
        let opening = calendar.date(byAdding: .minute, value: start, to: today)!
        return opening > date ? opening : calendar.date(byAdding: .day, value: 1, to: opening)!
    }
}
