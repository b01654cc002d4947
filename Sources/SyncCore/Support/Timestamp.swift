import Foundation

/// Times in files and on the wire are ISO 8601 in UTC with whole seconds,
/// e.g. `2026-12-03T18:20:00Z`.
public enum Timestamp {
    public static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }

    public static func parse(_ text: String) -> Date? {
        try? Date(text, strategy: Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }
}
