import Foundation

/// The centre's settings, read from `key = value` lines with `#` comments.
/// Every key is described in docs/configuration.md.
public struct Configuration: Sendable {
    public static let defaultPath = "/etc/mrc-syncd/mrc-syncd.conf"

    public var stateDirectory: URL
    public var trustedKeyPaths: [URL]
    public var channel: String
    public var centreID: String
    /// Content older than this is reported by `status` as stale.
    public var staleAfter: TimeInterval
    /// How to sync over the network; nil for a centre served by USB only.
    public var network: NetworkSettings?
    /// The central office's `inbox.pub`, which query batches are sealed to.
    public var inboxKeyPath: URL?
    /// Where sealed query batches are PUT, as `<upload_url>/<centre>/<batch>`.
    public var uploadURL: URL?
    /// The folders under which a USB stick that appears is looked for.
    public var usbPaths: [URL] = Configuration.defaultUSBPaths
    /// The text this configuration was read from.
    public var source = ""

    /// Where desktops mount sticks (`/media/<user>/…`, `/run/media/<user>/…`)
    /// and where an administrator would (`/mnt`).
    public static let defaultUSBPaths = ["/media", "/mnt", "/run/media"].map {
        URL(fileURLWithPath: $0)
    }

    public var replicaURL: URL { stateDirectory.appendingPathComponent(Replica.fileName) }
    public var stateURL: URL { stateDirectory.appendingPathComponent(SyncState.fileName) }
    public var applyLockURL: URL { stateDirectory.appendingPathComponent("apply.lock") }
    public var downloadsURL: URL { stateDirectory.appendingPathComponent("downloads") }
    public var queryLogURL: URL { stateDirectory.appendingPathComponent(QueryLog.fileName) }

    static let knownKeys: Set<String> = [
        "state_dir", "trusted_keys", "channel", "centre_id", "stale_after",
        "repo_url", "poll_interval", "retry_max", "bandwidth_limit", "stall_timeout",
        "sync_window", "monthly_budget", "inbox_key", "upload_url", "usb_paths",
    ]

    /// Reads and checks the configuration file at `url`. Relative paths in
    /// it are taken relative to the file's own folder.
    public static func load(from url: URL) throws -> Configuration {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw SyncError(
                .configuration,
                "Could not read the configuration \(url.path): \(FileSystem.reason(of: error)). "
                    + "Create it as docs/configuration.md describes, or name another file with "
                    + "--config.")
        }
        return try parse(String(decoding: data, as: UTF8.self), path: url)
    }

    public static func parse(_ text: String, path: URL) throws -> Configuration {
        let base = path.deletingLastPathComponent()
        var values = [String: String]()
        // Files edited on Windows end their lines with CR LF, and Notepad
        // may start them with a byte order mark.
        let unmarked = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        let lines = unmarked.replacingOccurrences(of: "\r\n", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false)
        for (number, rawLine) in lines.enumerated()
        {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
                .first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if line.isEmpty { continue }
            let where_ = "\(path.path), line \(number + 1)"
            guard let equals = line.firstIndex(of: "=") else {
                throw SyncError(.configuration, "\(where_): expected `key = value`.")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.first == value.last, value.first == "\"" || value.first == "'" {
                throw SyncError(
                    .configuration, "\(where_): write the value of \"\(key)\" without quotes.")
            }
            guard knownKeys.contains(key) else {
                throw SyncError(.configuration, "\(where_): unknown setting \"\(key)\".")
            }
            guard values[key] == nil else {
                throw SyncError(.configuration, "\(where_): \"\(key)\" is set twice.")
            }
            values[key] = value
        }

        func required(_ key: String) throws -> String {
            guard let value = values[key], !value.isEmpty else {
                throw SyncError(.configuration, "\(path.path): the setting \"\(key)\" is missing.")
            }
            return value
        }
        func resolve(_ value: String) -> URL {
            value.hasPrefix("/")
                ? URL(fileURLWithPath: value)
                : base.appendingPathComponent(value).standardizedFileURL
        }

        let keys = try required("trusted_keys").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .map(resolve)
        let channel = try required("channel")
        guard Naming.isValidName(channel) else {
            throw SyncError(
                .configuration,
                "\(path.path): channel \"\(channel)\" may hold only a-z, 0-9 and -.")
        }
        let reader = SettingReader(values: values, path: path)
        var uploadURL: URL?
        if let text = reader.string("upload_url") {
            let withSlash = text.hasSuffix("/") ? text : text + "/"
            guard let url = URL(string: withSlash),
                  ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil
            else {
                throw reader.error("upload_url", "\"\(text)\" is not an http:// or https:// address.")
            }
            uploadURL = url
            guard values["repo_url"] != nil else {
                throw reader.error(
                    "upload_url", "is set, but repo_url is not; uploads happen when the centre "
                        + "syncs over the network.")
            }
        }
        let centreID = try required("centre_id")
        guard Naming.isValidName(centreID) else {
            throw SyncError(
                .configuration,
                "\(path.path): centre_id \"\(centreID)\" may hold only a-z, 0-9 and -.")
        }
        var usbPaths = defaultUSBPaths
        if let text = values["usb_paths"] {
            let paths = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard !paths.isEmpty, paths.allSatisfy({ $0.hasPrefix("/") }) else {
                throw reader.error(
                    "usb_paths", "\"\(text)\" must be absolute folders separated by commas, "
                        + "such as /media, /mnt.")
            }
            usbPaths = paths.map { URL(fileURLWithPath: $0).standardizedFileURL }
        }
        var configuration = Configuration(
            stateDirectory: resolve(values["state_dir"] ?? "/var/lib/mrc-syncd"),
            trustedKeyPaths: keys,
            channel: channel,
            centreID: centreID,
            staleAfter: try reader.duration("stale_after", default: 30 * 86_400),
            network: try NetworkSettings(reader),
            inboxKeyPath: reader.string("inbox_key").map(resolve),
            uploadURL: uploadURL,
            usbPaths: usbPaths)
        configuration.source = text
        return configuration
    }

    /// Loads the central office's inbox key, which batches are sealed to.
    public func inboxKey() throws -> InboxPublicKey {
        guard let inboxKeyPath else {
            throw SyncError(
                .configuration,
                "No inbox_key is set in the configuration, so visitor questions cannot be sealed "
                    + "for the central office. Set inbox_key to the central office's inbox.pub.")
        }
        return try InboxPublicKey.load(from: inboxKeyPath)
    }

    /// Loads the pinned public keys.
    public func trustedKeys() throws -> [PublicKey] {
        try trustedKeyPaths.map(PublicKey.load(from:))
    }
}

/// Durations in the configuration: plain seconds, or a number with `s`,
/// `m`, `h` or `d`.
public enum Duration {
    public static func parseSeconds(_ text: String) -> TimeInterval? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        var number = text.trimmingCharacters(in: .whitespaces)
        var factor = 1.0
        if let last = number.last, let unit = units[last] {
            factor = unit
            number.removeLast()
        }
        guard let value = Double(number), value >= 0, value.isFinite else { return nil }
        return value * factor
    }
}

/// Rules for names that end up in file names and URLs.
public enum Naming {
    /// 1–64 characters of a-z, 0-9 and `-`, starting with a letter or digit.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.unicodeScalars.count <= 64,
              first != "-"
        else { return false }
        return name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-"
        }
    }
}

/// Reads typed settings, with errors that name the file and the setting.
struct SettingReader {
    let values: [String: String]
    let path: URL

    func duration(_ key: String, default fallback: TimeInterval) throws -> TimeInterval {
        guard let text = values[key] else { return fallback }
        guard let seconds = Duration.parseSeconds(text) else {
            throw SyncError(
                .configuration,
                "\(path.path): \(key) \"\(text)\" is not a duration such as 30d or 12h.")
        }
        return seconds
    }

    /// A byte count: a whole number with an optional K, M or G (powers of
    /// 1024); 0 or an absent setting means no limit.
    func bytes(_ key: String) throws -> Int? {
        guard let text = values[key] else { return nil }
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        var number = text.uppercased()
        var factor = 1
        if let last = number.last, let unit = units[last] {
            factor = unit
            number.removeLast()
        }
        guard let value = Int(number.trimmingCharacters(in: .whitespaces)), value >= 0,
              !value.multipliedReportingOverflow(by: factor).overflow
        else {
            throw SyncError(
                .configuration,
                "\(path.path): \(key) \"\(text)\" is not a number of bytes such as 50000 or 2G.")
        }
        return value == 0 ? nil : value * factor
    }

    func string(_ key: String) -> String? {
        values[key].flatMap { $0.isEmpty ? nil : $0 }
    }

    func error(_ key: String, _ problem: String) -> SyncError {
        SyncError(.configuration, "\(path.path): \(key) \(problem)")
    }
}
