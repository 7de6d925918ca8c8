import ArgumentParser
import Foundation
import Shared

/// `bothub audit --config FILE [--since 24h]`
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Print the audit trail: every alert, message, button press (authorized or not), command and result."
    )

    @Option(help: ArgumentHelp(ConfigFileLocation.help("The hub YAML file (its hub.state_dir holds the database)")))
    var config: String = ConfigFileLocation.hub

    @Option(help: "How far back to print, e.g. 30m, 24h, 7d.")
    var since: String = "24h"

    func validate() throws {
        guard DurationText.parse(since) != nil else { throw ValidationError("--since: expected a duration like 30m, 24h or 7d") }
    }

    func run() throws {
        let store = try HubStore.openExisting(path: try HubDatabasePath.resolve(config: config))
        let span = DurationText.parse(since) ?? .seconds(86_400)
        let start = Date().addingTimeInterval(-TimeInterval(span.components.seconds))
        for entry in try store.auditEntries(since: start) {
            let fields = [
                MessageTime.format(entry.at), entry.event, entry.actor ?? "-",
                entry.alertId.map { ShortID.make(UUID(uuidString: $0) ?? UUID()) } ?? "-", entry.detail,
            ]
            print(fields.joined(separator: "\t"))
        }
    }
}

/// `bothub alerts --config FILE`
struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "List recent alerts with their short ids, status and offered actions (answer one with `bothub choose`)."
    )

    @Option(help: ArgumentHelp(ConfigFileLocation.help("The hub YAML file")))
    var config: String = ConfigFileLocation.hub

    @Flag(help: "Only alerts nobody has answered yet.")
    var open = false

    @Option(help: "How many to list.")
    var limit = 20

    func run() throws {
        let store = try HubStore.openExisting(path: try HubDatabasePath.resolve(config: config))
        for stored in try store.recentAlerts(limit: limit, openOnly: open) {
            let actions = (try? stored.decoded().actions.map(\.rawValue).joined(separator: ",")) ?? "?"
            let fields = [
                stored.shortId, MessageTime.format(stored.receivedAt), stored.agent, stored.kind, stored.severity, stored.status, actions,
                stored.handledBy ?? "",
            ]
            print(fields.joined(separator: "\t"))
        }
    }
}

/// Finds the hub database from the configuration file.
enum HubDatabasePath {
    static func resolve(config: String) throws -> String {
        do {
            let hub = try HubConfiguration.load(path: config)
            return "\(hub.stateDirectory)/hub.sqlite"
        } catch let error as ConfigError {
            throw ValidationError("\(config):\n\(error)")
        }
    }
}
