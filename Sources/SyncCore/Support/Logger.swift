import Foundation

/// How important a log event is; the raw values are syslog priorities,
/// which journald reads from a `<N>` prefix on each line.
public enum LogLevel: Int, Sendable, Comparable {
    case error = 3
    case warning = 4
    case notice = 5
    case info = 6
    case debug = 7

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool {
        lhs.rawValue > rhs.rawValue
    }
}

/// Where the library reports facts. The library never decides where logs
/// go; its caller does, by handing in a logger.
///
/// Events are short stable names (`bundle.applied`) with key/value fields
/// (`release`, `bundle`, `bytes`, `error`), so that logs can be searched.
public struct Logger: Sendable {
    public typealias Sink = @Sendable (LogLevel, String, [(String, String)]) -> Void

    private let sink: Sink

    public init(_ sink: @escaping Sink) {
        self.sink = sink
    }

    /// A logger that drops everything.
    public static let silent = Logger { _, _, _ in }

    public func log(_ level: LogLevel, _ event: String, _ fields: [(String, String)] = []) {
        sink(level, event, fields)
    }

    public func error(_ event: String, _ fields: [(String, String)] = []) {
        log(.error, event, fields)
    }

    public func warning(_ event: String, _ fields: [(String, String)] = []) {
        log(.warning, event, fields)
    }

    public func notice(_ event: String, _ fields: [(String, String)] = []) {
        log(.notice, event, fields)
    }

    public func info(_ event: String, _ fields: [(String, String)] = []) {
        log(.info, event, fields)
    }

    public func debug(_ event: String, _ fields: [(String, String)] = []) {
        log(.debug, event, fields)
    }
}

extension Logger {
    /// Log lines on standard error in the form journald reads: the syslog
    /// priority in angle brackets, the event, then `key=value` fields.
    public static let standardError = Logger { level, event, fields in
        let line = journalLine(level, event, fields) + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// One event as one line, e.g. `<5>bundle.applied release=4 bytes=575`.
    public static func journalLine(_ level: LogLevel, _ event: String, _ fields: [(String, String)])
        -> String
    {
        var line = "<\(level.rawValue)>\(event)"
        for (key, value) in fields {
            line += " \(key)=\(quoted(value))"
        }
        return line
    }

    /// A value as one token: quoted when it has spaces or quotes, with
    /// control characters escaped so that a file name cannot start a forged
    /// log line.
    static func quoted(_ value: String) -> String {
        var escaped = ""
        var needsQuotes = value.isEmpty
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"", "\\":
                escaped += "\\\(scalar)"
                needsQuotes = true
            case " ":
                escaped += " "
                needsQuotes = true
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    escaped += String(format: "\\x%02x", scalar.value)
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return needsQuotes ? "\"\(escaped)\"" : escaped
    }
}
