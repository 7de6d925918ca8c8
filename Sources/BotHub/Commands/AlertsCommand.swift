import ArgumentParser
import Foundation
import Shared

/// `bothub alerts --config FILE [--open] [--limit N] [--json]`
struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "List recent alerts: short id, time, agent, kind, subject, status and the choices still open (answer one with `bothub choose`)."
    )

    @Option(help: ArgumentHelp(ConfigFileLocation.help("The hub YAML file")))
    var config: String = ConfigFileLocation.hub

    @Option(help: "A directory of bot.<lang>.yml catalogs replacing the built-in ones (overrides hub.translations).")
    var translations: String?

    @Flag(help: "Only alerts nobody has answered yet.")
    var open = false

    @Option(help: "How many to list.")
    var limit = 20

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    func run() throws {
        let hub = try HubTerminal.open(config: config)
        let catalogs = try MessageCatalogs.load(override: translations ?? hub.configuration.translationsDirectory)
        let now = Date()
        let listings = try hub.store.recentAlerts(limit: limit, openOnly: open).map { try hub.listing($0, catalogs: catalogs, now: now) }
        if json {
            try TerminalJSON.print(listings)
            return
        }
        guard !listings.isEmpty else {
            print(open ? "No open alerts." : "No alerts.")
            return
        }
        var table = TextTable(header: ["ID", "RECEIVED", "AGENT", "KIND", "SEVERITY", "SUBJECT", "STATUS", "CHOICES"])
        for listing in listings {
            let status = listing.handledBy.map { "\(listing.status) by \($0)" } ?? listing.status
            table.rows.append([
                listing.shortId, MessageTime.precise(listing.receivedAt), listing.agent, listing.kind, listing.severity, listing.subject, status,
                listing.available.isEmpty ? "-" : listing.available.joined(separator: ","),
            ])
        }
        print(table.text)
    }
}

/// `bothub show ID --config FILE [--json]`
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one alert with the full evidence its Telegram message has, its state and the choices still open."
    )

    @Argument(help: "The alert's short id (first column of `bothub alerts`) or full UUID, in any case.")
    var alert: String

    @Option(help: ArgumentHelp(ConfigFileLocation.help("The hub YAML file")))
    var config: String = ConfigFileLocation.hub

    @Option(help: "A directory of bot.<lang>.yml catalogs replacing the built-in ones (overrides hub.translations).")
    var translations: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func run() throws {
        let hub = try HubTerminal.open(config: config)
        let listing = try hub.listing(
            try hub.alert(alert), catalogs: try MessageCatalogs.load(override: translations ?? hub.configuration.translationsDirectory), now: Date())
        if json {
            try TerminalJSON.print(listing)
            return
        }
        print(Self.text(listing))
    }

    static func text(_ listing: AlertListing) -> String {
        var lines = [
            "alert     \(listing.shortId) (\(listing.id))",
            "agent     \(listing.agent) (host \(listing.host))",
            "kind      \(listing.kind), \(listing.severity)",
            "subject   \(listing.subject)",
            "observed  \(MessageTime.precise(listing.observedAt))",
            "received  \(MessageTime.precise(listing.receivedAt))",
            "evidence  " + listing.evidence.joined(separator: "\n          "),
        ]
        var status = listing.status
        if let by = listing.handledBy { status += " by \(by)" }
        if let at = listing.handledAt { status += " at \(MessageTime.precise(at))" }
        lines.append("status    \(status)")
        if let outcome = listing.outcome { lines.append("outcome   " + outcome.replacingOccurrences(of: "\n", with: "\n          ")) }
        lines.append("offered   \(listing.offered.isEmpty ? "-" : listing.offered.joined(separator: ", "))")
        lines.append("choices   \(listing.available.isEmpty ? "- (nothing left to choose)" : listing.available.joined(separator: ", "))")
        return lines.joined(separator: "\n")
    }
}
