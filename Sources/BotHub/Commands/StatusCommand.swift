import ArgumentParser
import Foundation
import Shared

/// `bothub status --config FILE [--json]`
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show Telegram reachability, each agent's version, last heartbeat, outbox, drops and unhealthy inputs, and the mutes."
    )

    @Option(help: ArgumentHelp(ConfigFileLocation.help("The hub YAML file")))
    var config: String = ConfigFileLocation.hub

    @Flag(help: "Print JSON instead of text.")
    var json = false

    struct AgentStatus: Encodable {
        var id: String
        var version: String?
        var lastHeartbeatAt: Date?
        var lastHeartbeatAgeSeconds: Int?
        var outbox: Int?
        var dropped: Int?
        var openAlerts: Int
        var unhealthyInputs: [String]
    }

    /// A mute in force in one chat.
    struct Mute: Encodable {
        var chat: Int64
        var target: String
        var until: Date
        var includesCritical: Bool
        var mutedBy: String
    }

    struct Status: Encodable {
        var telegramConfigured: Bool
        var telegram: TelegramReachability?
        var agents: [AgentStatus]
        var mutes: [Mute]
        /// The known-vulnerability feed, when it was ever checked.
        var vulnerabilityFeed: VulnerabilityFeedState?
        /// Ubuntu's OSV feed, when it was ever checked.
        var ubuntuFeed: VulnerabilityFeedState?
        /// CISA's known-exploited list (`kev_url`), when it was ever checked.
        var knownExploitedFeed: VulnerabilityFeedState?
    }

    func run() throws {
        let hub = try HubTerminal.open(config: config)
        let now = Date()
        let status = try Self.status(hub, now: now)
        if json {
            try TerminalJSON.print(status)
        } else {
            print(Self.text(status, now: now))
        }
    }

    static func status(_ hub: HubTerminal, now: Date) throws -> Status {
        let heartbeats = try hub.store.heartbeats()
        let open = try hub.store.openAlertCounts()
        let agents = hub.agents.ids.map { id in
            let last = heartbeats[id]
            return AgentStatus(
                id: id,
                version: last?.heartbeat?.version,
                lastHeartbeatAt: last?.at,
                lastHeartbeatAgeSeconds: last.map { Int(now.timeIntervalSince($0.at)) },
                outbox: last?.heartbeat?.queueDepth,
                dropped: last?.heartbeat?.dropped,
                openAlerts: open[id] ?? 0,
                unhealthyInputs: (last?.heartbeat?.detectors ?? []).compactMap { detector in detector.problem.map { "\(detector.name): \($0)" } }
            )
        }
        return Status(
            telegramConfigured: hub.configuration.telegram.token != nil,
            telegram: try hub.store.telegramReachability(),
            agents: agents,
            mutes: try hub.store.activeMutes(now: now).sorted { ($0.chatId, $0.target) < ($1.chatId, $1.target) }.map {
                Mute(chat: $0.chatId, target: $0.target, until: $0.until, includesCritical: $0.includesCritical, mutedBy: $0.mutedBy)
            },
            vulnerabilityFeed: try hub.store.vulnerabilityFeedState(),
            ubuntuFeed: try hub.store.vulnerabilityFeedState(name: VulnerabilityFeed.ubuntuOSV.rawValue),
            knownExploitedFeed: try hub.store.vulnerabilityFeedState(name: HubStore.knownExploitedFeedName)
        )
    }

    static func text(_ status: Status, now: Date) -> String {
        func ago(_ date: Date) -> String { "\(MessageTime.span(now.timeIntervalSince(date))) ago" }
        var lines: [String] = []
        switch (status.telegramConfigured, status.telegram) {
        case (false, _):
            lines.append("telegram  not configured: alerts wait for `bothub alerts` and `bothub choose`")
        case (true, nil):
            lines.append("telegram  no call recorded yet (has `bothub run` started?)")
        case (true, let telegram?) where telegram.reachable:
            lines.append("telegram  reachable (last answer \(ago(telegram.lastCallAt)))")
        case (true, let telegram?):
            lines.append(
                "telegram  UNREACHABLE since \(MessageTime.precise(telegram.since)) (\(telegram.error ?? "no answer")); last try \(ago(telegram.lastCallAt))"
            )
        }
        if let feed = status.vulnerabilityFeed { lines.append(VulnsListCommand.feedText(feed, now: now)) }
        if let feed = status.ubuntuFeed { lines.append(VulnsListCommand.ubuntuFeedText(feed, now: now)) }
        if let feed = status.knownExploitedFeed { lines.append(VulnsListCommand.knownExploitedText(feed, now: now)) }
        lines.append("")
        if status.agents.isEmpty {
            lines.append("No agents: enroll one with `bothub agent add NAME --url http://AGENT:7071 --config FILE`.")
        } else {
            var table = TextTable(header: ["AGENT", "VERSION", "LAST HEARTBEAT", "OUTBOX", "DROPPED", "OPEN ALERTS", "UNHEALTHY INPUTS"])
            for agent in status.agents {
                table.rows.append([
                    agent.id, agent.version ?? "?", agent.lastHeartbeatAt.map(ago) ?? "never", agent.outbox.map(String.init) ?? "-",
                    agent.dropped.map(String.init) ?? "-", String(agent.openAlerts),
                    agent.unhealthyInputs.isEmpty ? "-" : agent.unhealthyInputs.joined(separator: "; "),
                ])
            }
            lines.append(table.text)
        }
        lines.append("")
        if status.mutes.isEmpty {
            lines.append("No mutes.")
        } else {
            lines.append("Muted:")
            for (chat, mutes) in Dictionary(grouping: status.mutes, by: \.chat).sorted(by: { $0.key < $1.key }) {
                lines.append("  chat \(chat):")
                for mute in mutes {
                    let left = MessageTime.span(mute.until.timeIntervalSince(now))
                    let critical = mute.includesCritical ? ", critical included" : ""
                    lines.append("    \(mute.target) until \(MessageTime.precise(mute.until)) (\(left) left\(critical); by \(mute.mutedBy))")
                }
            }
        }
        return lines.joined(separator: "\n")
    }
}
