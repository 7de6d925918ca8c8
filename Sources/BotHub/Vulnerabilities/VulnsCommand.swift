import ArgumentParser
import Foundation
import Shared

/// `bothub vulns …`: known vulnerabilities (CVEs) of installed packages.
struct VulnsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vulns",
        abstract: "Known vulnerabilities (CVEs) of installed packages, from the Debian security tracker.",
        subcommands: [VulnsListCommand.self, VulnsCheckCommand.self],
        defaultSubcommand: VulnsListCommand.self
    )
}

/// `bothub vulns check --feed FILE --release CODENAME [STATUS_FILE]`: a debsecan-like offline check of one machine.
struct VulnsCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Match a dpkg status file against a Debian security tracker JSON file; print one JSON object per vulnerable (source, CVE).",
        discussion: """
            Each line: {"cve", "source", "installed" (the source version), "fixed" (null when no fix exists), "urgency", "score"}. \
            The feed is the file at https://security-tracker.debian.org/tracker/data/json, read as a stream.
            """
    )

    @Option(help: "The Debian security tracker JSON file.")
    var feed: String

    @Option(help: "The release codename to match against, e.g. bookworm (VERSION_CODENAME in /etc/os-release).")
    var release: String

    @Argument(help: "The dpkg status file.")
    var statusFile: String = "/var/lib/dpkg/status"

    func validate() throws {
        guard !release.isEmpty, release.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            throw ValidationError("--release: expected a codename such as bookworm")
        }
    }

    func run() throws {
        let (findings, refused) = try OfflineCheck(feedPath: feed, release: release, statusPath: statusFile).run()
        for problem in refused {
            FileHandle.standardError.write(Data("warning: \(statusFile): \(problem) (skipped)\n".utf8))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for finding in findings {
            print(String(decoding: try encoder.encode(finding), as: UTF8.self))
        }
    }
}

/// `bothub vulns [list] --config FILE [--json]`: the fleet view from the hub's database.
struct VulnsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract:
            "The fleet's known vulnerabilities, known exploited first, then by impact (score × hosts, exposed hosts twice), and the count per host."
    )

    @Option(help: ArgumentHelp(ConfigFileLocation.help("The hub YAML file")))
    var config: String = ConfigFileLocation.hub

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let hub = try HubTerminal.open(config: config)
        let report = try FleetVulnerabilityReport.build(store: hub.store)
        if json {
            try TerminalJSON.print(report)
            return
        }
        if let feed = try hub.store.vulnerabilityFeedState() {
            print(Self.feedText(feed, now: Date()))
        } else {
            print(hub.configuration.vulnerabilities.enabled ? "feed      not fetched yet" : "feed      off (hub.vulnerabilities.enabled)")
        }
        if let feed = try hub.store.vulnerabilityFeedState(name: VulnerabilityFeed.ubuntuOSV.rawValue) {
            print(Self.ubuntuFeedText(feed, now: Date()))
        }
        print(Self.text(report))
    }

    static func text(_ report: FleetVulnerabilityReport) -> String {
        guard report.inventories > 0 else { return "No agent has sent its package inventory yet." }
        let uncovered =
            report.uncovered.isEmpty
            ? ""
            : "\n\nNot covered (no vulnerability feed for their distribution, or an agent too old to send its release's version): "
                + report.uncovered.map(\.label).joined(separator: ", ")
        guard !report.issues.isEmpty else { return "No known vulnerabilities in \(report.inventories) inventories." + uncovered }
        var issues = TextTable(header: ["CVE", "SOURCE", "URGENCY", "HOSTS", "EXPOSED", "KEV", "FIX", "IMPACT"])
        for issue in report.issues {
            issues.rows.append([
                issue.cve, issue.source, issue.score.map { "\(issue.urgency) \($0)" } ?? issue.urgency, "\(issue.hosts.count)",
                "\(issue.exposedHosts)", issue.knownExploited ? "exploited" : "-", issue.fixed ?? "no fix yet", String(format: "%.1f", issue.impact),
            ])
        }
        var hosts = TextTable(header: ["HOST", "RELEASE", "CVES", "HIGH"])
        for host in report.hosts { hosts.rows.append([host.agent, host.release, "\(host.cves)", "\(host.high)"]) }
        return issues.text + "\n\n" + hosts.text + uncovered
    }

    /// The tracker feed's line in `bothub status` and `bothub vulns`.
    static func feedText(_ feed: VulnerabilityFeedState, now: Date) -> String {
        stateText(label: "feed", contents: "\(feed.advisories) advisories for \(feed.releases.joined(separator: ", "))", feed, now: now)
    }

    /// The Ubuntu OSV feed's line.
    static func ubuntuFeedText(_ feed: VulnerabilityFeedState, now: Date) -> String {
        stateText(label: "ubuntu", contents: "\(feed.advisories) advisories for \(feed.releases.joined(separator: ", "))", feed, now: now)
    }

    /// The known-exploited list's line (`kev_url`).
    static func knownExploitedText(_ feed: VulnerabilityFeedState, now: Date) -> String {
        stateText(label: "kev", contents: "\(feed.advisories) known-exploited CVEs", feed, now: now)
    }

    private static func stateText(label: String, contents: String, _ feed: VulnerabilityFeedState, now: Date) -> String {
        func ago(_ date: Date) -> String { "\(MessageTime.span(now.timeIntervalSince(date))) ago" }
        let label = label.padding(toLength: 10, withPad: " ", startingAt: 0)
        let current = "\(contents), updated \(feed.updatedAt.map(ago) ?? "never")"
        guard let failure = feed.failure else { return "\(label)\(current), checked \(feed.checkedAt.map(ago) ?? "never")" }
        return "\(label)LAST CHECK FAILED \(feed.failedAt.map(ago) ?? "") (\(failure)); in use: \(current)"
    }
}
