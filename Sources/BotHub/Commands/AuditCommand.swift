import ArgumentParser
import Foundation
import Shared

/// `bothub audit --config FILE [--since 24h] [--agent A] [--ip IP] [--kind K] [--json]`
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Print the audit trail: every alert, message, button press (authorized or not), command with its arguments, and result."
    )

    @Option(help: ArgumentHelp(ConfigFileLocation.help("The hub YAML file (its hub.state_dir holds the database)")))
    var config: String = ConfigFileLocation.hub

    @Option(help: "How far back to print, e.g. 30m, 24h, 7d.")
    var since: String = "24h"

    @Option(help: "Only entries about this agent (its alerts and the commands sent to it).")
    var agent: String?

    @Option(help: "Only entries mentioning this address (in the detail or the alert's subject).")
    var ip: String?

    @Option(help: "Only this event (alert, press, press_refused, command, result, …) or alert kind (ssh_session, …).")
    var kind: String?

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    func validate() throws {
        guard DurationText.parse(since) != nil else { throw ValidationError("--since: expected a duration like 30m, 24h or 7d") }
    }

    /// One audit row with what the filters and columns need from its alert and the configuration.
    struct Row: Encodable {
        var at: Date
        var event: String
        var actor: String?
        /// The Telegram user id of the person who acted.
        var actorId: Int64?
        /// Their name in `telegram.chats[].operators`, when configured.
        var operatorName: String?
        var alertId: String?
        var shortId: String?
        var agent: String?
        var kind: String?
        var subject: String?
        var detail: String

        /// `bob (id 22)`: the configured name and id; else what was recorded.
        var who: String {
            guard let actorId else { return actor ?? "-" }
            return "\(operatorName ?? actor ?? "?") (id \(actorId))"
        }
    }

    func run() throws {
        let hub = try HubTerminal.open(config: config)
        let span = DurationText.parse(since) ?? .seconds(86_400)
        let start = Date().addingTimeInterval(-TimeInterval(span.components.seconds))
        let rows = try Self.rows(hub.store.auditEntries(since: start), store: hub.store, configuration: hub.configuration)
            .filter { matches($0) }
        if json {
            try TerminalJSON.print(rows)
            return
        }
        var table = TextTable(header: ["TIME", "EVENT", "WHO", "ALERT", "DETAIL"])
        for row in rows {
            table.rows.append([MessageTime.precise(row.at), row.event, row.who, row.shortId ?? "-", row.detail])
        }
        print(rows.isEmpty ? "No audit entries since \(MessageTime.precise(start))." : table.text)
    }

    func matches(_ row: Row) -> Bool {
        if let agent, row.agent != agent, row.actor != agent, !row.detail.contains("→ \(agent)") { return false }
        if let ip, !(row.subject?.contains(ip) ?? false), !row.detail.contains(ip) { return false }
        if let kind, row.event != kind, row.kind != kind { return false }
        return true
    }

    static func rows(_ entries: [AuditEntry], store: HubStore, configuration: HubConfiguration) throws -> [Row] {
        var names: [Int64: String] = [:]
        for chat in configuration.telegram.chats {
            for person in chat.operators { names[person.userID] = person.name }
        }
        var alerts: [String: (StoredAlert, Alert)?] = [:]
        return try entries.map { entry in
            var row = Row(
                at: entry.at, event: entry.event, actor: entry.actor, actorId: entry.actorId, operatorName: entry.actorId.flatMap { names[$0] },
                alertId: entry.alertId, detail: entry.detail)
            if let id = entry.alertId {
                if alerts[id] == nil {
                    alerts[id] = try store.alert(id: id).map { ($0, try $0.decoded()) }
                }
                if let (stored, alert) = alerts[id] ?? nil {
                    row.shortId = stored.shortId
                    row.agent = stored.agent
                    row.kind = stored.kind.rawValue
                    row.subject = AlertListing.subject(alert.subject)
                }
            }
            return row
        }
    }
}
