import Foundation

/// What `mrc-syncd status` tells staff: which content the centre serves,
/// how old it is, how the last import or sync went, and what needs doing.
///
/// Gathering it reads the configuration, the state file and the replica,
/// the last one read-only; it creates and changes nothing, and never waits
/// for a daemon that is writing.
public struct StatusReport: Sendable {
    public var centreID: String
    public var channel: String
    /// nil before the first release is installed.
    public var release: Int?
    public var publishedAt: Date?
    public var contentDigest: String?
    public var lastSync: SyncState.Attempt?
    /// Network sync, if configured.
    public var network: NetworkState?
    public var monthlyBudget: Int?
    /// The long-running `mrc-syncd run`, if it serves this state folder.
    public var daemon: DaemonPresence = .notRunning
    /// Visitor questions waiting to reach the central office.
    public var queries = QueryLog.Summary(
        pending: 0, oldestPendingAt: nil, unacknowledgedBatches: 0, lastUploadAt: nil)
    public var warnings: [String]
    public var now: Date

    /// 0 when all is well, 1 when something needs attention.
    public var exitStatus: Int32 { warnings.isEmpty ? 0 : 1 }

    /// Exit status when the state cannot be read at all.
    public static let unreadableExitStatus: Int32 = 2

    public static func gather(configuration: Configuration, now: Date = Date()) throws
        -> StatusReport
    {
        let state = try SyncState.load(from: configuration.stateURL)
        let replica = try Replica.openReadOnly(at: configuration.replicaURL)
        let info = try replica?.info() ?? .empty
        var report = StatusReport(
            centreID: configuration.centreID,
            channel: configuration.channel,
            release: info.release > 0 ? info.release : nil,
            publishedAt: info.publishedAt,
            contentDigest: info.release > 0 ? info.contentDigest.hex : nil,
            lastSync: state.lastSync,
            network: configuration.network == nil ? nil : state.network,
            monthlyBudget: configuration.network?.monthlyBudget,
            warnings: [],
            now: now)
        report.daemon = DaemonPresence.probe(stateDirectory: configuration.stateDirectory)
        if let log = try QueryLog.openReadOnly(at: configuration.queryLogURL) {
            report.queries = try log.summary()
        }
        report.warnings = warnings(
            info: info, state: state, configuration: configuration, now: now)
        if info.release > 0, (try? replica?.searchIndexIsBehind()) == true {
            report.warnings.append(
                "The search index is behind release \(info.release), so searches may miss its "
                    + "changes. It is brought up to date right after a release is installed; "
                    + "if this stays, the next import, sync or check of the service rebuilds it.")
        }
        if report.queries.pending > 0 && configuration.inboxKeyPath == nil {
            report.warnings.append(
                "Visitor questions are recorded but cannot be sent: set inbox_key in the "
                    + "configuration to the central office's inbox.pub.")
        }
        if configuration.network != nil && !report.daemon.running {
            report.warnings.append(
                "The mrc-syncd service is not running, so new content is not fetched over "
                    + "the network. Start it with \"sudo systemctl start mrc-syncd\"; if it "
                    + "stops again, \"journalctl -u mrc-syncd\" says why.")
        }
        return report
    }

    /// A clock this far from the server's is reported as wrong.
    static let clockTolerance: TimeInterval = 600

    /// How far the local clock is off, when that is more than the
    /// tolerance; content age is judged by the server's clock then, so a
    /// clock two years ahead does not make current content look stale.
    private static func skewBeyondTolerance(_ state: SyncState, _ configuration: Configuration)
        -> TimeInterval
    {
        guard configuration.network != nil, let skew = state.network.clockSkewSeconds,
              abs(skew) > clockTolerance
        else { return 0 }
        return skew
    }

    /// Releases reach centres within weeks of publication. One installed,
    /// by this computer's clock, half a year or more after it was published
    /// points at a clock that was ahead when it was installed, which no
    /// server is there to confirm at a centre served by USB sticks.
    static let suspiciousInstallDelay: TimeInterval = 180 * 86_400

    private static func staleWarning(info: ReplicaInfo, published: Date, now: Date) -> String {
        let age = humanAge(now.timeIntervalSince(published))
        if let applied = info.appliedAt,
           applied.timeIntervalSince(published) > suspiciousInstallDelay
        {
            return "The content was published on \(humanDate(published)), \(age) ago by this "
                + "computer's clock, which also says it was installed on \(humanDate(applied)). "
                + "The clock may be ahead: set the correct date and time. If the clock is "
                + "right, the content is old: bring a newer release on a USB stick."
        }
        return "The content is \(age) old. "
            + "Bring a newer release on a USB stick, or check the network link."
    }

    private static func warnings(
        info: ReplicaInfo, state: SyncState, configuration: Configuration, now: Date
    ) -> [String] {
        var warnings = [String]()
        let staleAfter = configuration.staleAfter
        if info.release == 0, let installed = state.installedRelease, installed > 0 {
            warnings.append(
                "The content database is missing or empty, although release \(installed) was "
                    + "installed here. Import a full snapshot of release \(installed) or newer "
                    + "to bring the content back.")
        } else if info.release == 0 {
            warnings.append(
                "No content is installed yet. Plug in a USB stick with content and run "
                    + "\"mrc-syncd import\" with the stick's folder.")
        }
        if let published = info.publishedAt {
            // A few minutes of difference between two honest clocks is normal.
            if published.timeIntervalSince(now) > 600 {
                warnings.append(
                    "The computer's clock seems wrong: it says \(humanDate(now)), but the "
                        + "content was published on \(humanDate(published)). Set the correct "
                        + "date and time; content updates keep working meanwhile.")
            } else if now.addingTimeInterval(-skewBeyondTolerance(state, configuration))
                .timeIntervalSince(published) > staleAfter
            {
                warnings.append(staleWarning(info: info, published: published, now: now))
            }
        }
        if state.needsSnapshot {
            warnings.append(
                "The content on this computer did not match a release from the central office. "
                    + "It still serves release \(info.release); import a full snapshot to repair it.")
        }
        if configuration.network != nil, let skew = state.network.clockSkewSeconds,
           abs(skew) > clockTolerance
        {
            warnings.append(
                "The computer's clock is \(humanAge(abs(skew))) "
                    + "\(skew > 0 ? "ahead of" : "behind") the repository server's clock. Set the "
                    + "correct date and time; content updates keep working meanwhile.")
        }
        if let budget = configuration.network?.monthlyBudget,
           state.network.bytesUsed(inMonthOf: now) >= budget
        {
            warnings.append(
                "This month's data budget of \(formatBytes(budget)) is used up; network "
                    + "transfers wait for next month. Content can still come on a USB stick.")
        }
        if configuration.uploadURL != nil, let problem = state.network.uploadProblem {
            warnings.append(
                "Visitor questions could not be sent to the central office: \(problem) "
                    + "They are kept and sent again at the next sync.")
        }
        if let last = state.lastSync, !last.ok {
            // The reason itself is shown with the last update.
            warnings.append(
                last.partial == true
                    ? "Some files from \(last.source) were refused or incomplete."
                    : "The last update, from \(last.source), did not work.")
        }
        return warnings
    }

    /// The report for people, one fact a line.
    public func text() -> String {
        var lines = [String]()
        func line(_ label: String, _ value: String) {
            lines.append(label.padding(toLength: 14, withPad: " ", startingAt: 0) + value)
        }
        line("Centre:", centreID)
        line("Channel:", channel)
        if let release {
            var content = "release \(release)"
            if let publishedAt {
                content += ", published \(Self.humanDate(publishedAt))"
                let age = now.timeIntervalSince(publishedAt)
                if age >= 0 { content += " (\(Self.humanAge(age)) ago)" }
            }
            line("Content:", content)
            if let contentDigest { line("Digest:", String(contentDigest.prefix(16))) }
        } else {
            line("Content:", "none installed yet")
        }
        if let lastSync {
            let when = Timestamp.parse(lastSync.at).map(Self.humanDate) ?? lastSync.at
            line("Last update:", "\(when) from \(lastSync.source)")
            let outcome = lastSync.ok
                ? "worked. " : lastSync.partial == true ? "worked in part. " : "FAILED. "
            line("Result:", outcome + lastSync.message)
        } else {
            line("Last update:", "never")
        }
        if let network {
            line("Last check:", network.lastPollAt.flatMap(Timestamp.parse).map(Self.humanDate)
                ?? "never")
            if let download = network.download {
                line("Download:", "\(download.file): \(formatBytes(download.bytes)) of "
                    + "\(formatBytes(download.total)), to be continued")
            }
            if let next = network.nextAttemptAt.flatMap(Timestamp.parse) {
                line("Next attempt:", Self.humanDate(next)
                    + (network.waitingFor.map { ", waiting for \($0)" } ?? ""))
            }
            var usage = formatBytes(network.bytesUsed(inMonthOf: now))
            if let monthlyBudget { usage += " of \(formatBytes(monthlyBudget))" }
            line("Data used:", usage + " this month")
        }
        line("Service:", daemonText())
        var questions = "\(queries.pending) waiting to be sealed"
        if let oldest = queries.oldestPendingAt.flatMap(Timestamp.parse) {
            questions += " (oldest \(Self.humanAge(max(0, now.timeIntervalSince(oldest)))) old)"
        }
        questions += ", \(queries.unacknowledgedBatches) sealed batch(es) not yet confirmed"
        if let last = queries.lastUploadAt.flatMap(Timestamp.parse) {
            questions += ", last sent \(Self.humanDate(last))"
        }
        line("Questions:", questions)
        if warnings.isEmpty {
            line("Attention:", "nothing needs attention")
        } else {
            for (index, warning) in warnings.enumerated() {
                line(index == 0 ? "Attention:" : "", "- " + warning)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The report for programs: one JSON object; see docs/cli.md.
    public func json() -> Data {
        var object: [String: Any] = [
            "centre_id": centreID,
            "channel": channel,
            "release": release.map { $0 as Any } ?? NSNull(),
            "published_at": publishedAt.map { Timestamp.format($0) as Any } ?? NSNull(),
            "content_digest": contentDigest.map { $0 as Any } ?? NSNull(),
            "content_age_seconds": publishedAt.map { Int(now.timeIntervalSince($0)) as Any }
                ?? NSNull(),
            "warnings": warnings,
            "healthy": warnings.isEmpty,
        ]
        let network = self.network
        object["last_poll"] = network?.lastPollAt.map { $0 as Any } ?? NSNull()
        object["next_attempt_at"] = network?.nextAttemptAt.map { $0 as Any } ?? NSNull()
        object["waiting_for"] = network?.waitingFor.map { $0 as Any } ?? NSNull()
        object["bytes_this_month"] = network?.bytesUsed(inMonthOf: now) ?? 0
        object["monthly_budget"] = monthlyBudget.map { $0 as Any } ?? NSNull()
        if let download = network?.download {
            object["download"] = [
                "file": download.file, "bytes": download.bytes, "total": download.total,
            ] as [String: Any]
        } else {
            object["download"] = NSNull()
        }
        object["daemon"] = [
            "running": daemon.running,
            "pid": daemon.pid.map { Int($0) as Any } ?? NSNull(),
            "since": daemon.since.map { Timestamp.format($0) as Any } ?? NSNull(),
            "activity": daemon.activity.map { $0 as Any } ?? NSNull(),
        ] as [String: Any]
        object["queries"] = [
            "pending": queries.pending,
            "oldest_at": queries.oldestPendingAt.map { $0 as Any } ?? NSNull(),
            "unacknowledged_batches": queries.unacknowledgedBatches,
            "last_upload_at": queries.lastUploadAt.map { $0 as Any } ?? NSNull(),
        ] as [String: Any]
        if let lastSync {
            object["last_sync"] = [
                "at": lastSync.at, "source": lastSync.source, "ok": lastSync.ok,
                "message": lastSync.message, "partial": lastSync.partial ?? false,
            ] as [String: Any]
        } else {
            object["last_sync"] = NSNull()
        }
        // Only strings, numbers, booleans, arrays and NSNull are put in.
        return try! JSONSerialization.data(
            withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }

    /// One line on the daemon: running, for how long and doing what, or
    /// how to start it.
    private func daemonText() -> String {
        guard daemon.running else {
            return network == nil
                ? "not running (not needed: this centre gets content by USB stick)"
                : "NOT RUNNING. Start it with: sudo systemctl start mrc-syncd"
        }
        var text = "running"
        if let since = daemon.since {
            let uptime = now.timeIntervalSince(since)
            text += uptime < 60 ? " for under a minute" : " for \(Self.humanAge(uptime))"
        }
        if let pid = daemon.pid { text += " (pid \(pid))" }
        if let activity = daemon.activity { text += ": \(activity)" }
        return text
    }

    static func humanDate(_ date: Date) -> String {
        Timestamp.minutes(date)
    }

    static func humanAge(_ seconds: TimeInterval) -> String {
        func plural(_ count: Int, _ unit: String) -> String {
            "\(count) \(unit)\(count == 1 ? "" : "s")"
        }
        switch seconds {
        case ..<3_600: return plural(max(0, Int(seconds / 60)), "minute")
        case ..<172_800: return plural(Int(seconds / 3_600), "hour")
        default: return plural(Int(seconds / 86_400), "day")
        }
    }
}
