import ArgumentParser
import Foundation
import Logging
import Shared

/// `bothub blocks [AGENT] --config FILE [--json]`
struct BlocksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blocks",
        abstract: "List the blocks each agent's firewall holds now, with the time left (what the hub recorded for an agent it cannot reach).",
        discussion: "Exits 1 when an agent could not be asked."
    )

    @Argument(help: "Only this agent.")
    var agent: String?

    @Option(help: ArgumentHelp(ConfigFileLocation.help("The hub YAML file")))
    var config: String = ConfigFileLocation.hub

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    struct Entry: Encodable {
        var agent: String
        var ip: String
        /// Nil for a permanent block.
        var secondsLeft: Int64?
        /// `agent` (its firewall now) or `recorded` (the hub's record, when the agent could not be asked).
        var source: String
    }

    struct Listing: Encodable {
        var blocks: [Entry]
        /// Agents that could not be asked, with the reason.
        var unreachable: [String: String]
    }

    func run() async throws {
        let hub = try HubTerminal.open(config: config)
        let agents = hub.agents
        if let agent, agents.entry(for: agent) == nil {
            throw TerminalError("unknown agent \(agent) (known: \(agents.ids.joined(separator: ", ")))")
        }
        let dispatcher = ResponseDispatcher(agents: agents, timeout: .seconds(10), logger: Logger(label: "bothub"))
        let listing = try await Self.listing(of: agent.map { [$0] } ?? agents.ids, dispatcher: dispatcher, store: hub.store, now: Date())
        if json {
            try TerminalJSON.print(listing)
        } else {
            print(Self.text(listing))
        }
        if !listing.unreachable.isEmpty { throw ExitCode.failure }
    }

    static func listing(of agents: [String], dispatcher: ResponseDispatcher, store: HubStore, now: Date) async throws -> Listing {
        let recorded = try store.activeBlocks(now: now)
        var listing = Listing(blocks: [], unreachable: [:])
        for agent in agents {
            switch await dispatcher.blocks(of: agent, now: now) {
            case .success(let list):
                listing.blocks += list.entries.map { Entry(agent: agent, ip: $0.ip, secondsLeft: $0.secondsLeft, source: "agent") }
            case .failure(let error):
                listing.unreachable[agent] = error.description
                listing.blocks += recorded.filter { $0.agent == agent }.map { block in
                    Entry(agent: agent, ip: block.ip, secondsLeft: block.until.map { Int64($0.timeIntervalSince(now)) }, source: "recorded")
                }
            }
        }
        return listing
    }

    static func text(_ listing: Listing) -> String {
        var lines: [String] = []
        for (agent, reason) in listing.unreachable.sorted(by: { $0.key < $1.key }) {
            lines.append("\(agent): cannot be asked (\(reason)); showing what the hub recorded")
        }
        if listing.blocks.isEmpty {
            lines.append("No active blocks.")
        } else {
            var table = TextTable(header: ["AGENT", "ADDRESS", "LEFT", "SOURCE"])
            for entry in listing.blocks {
                table.rows.append([entry.agent, entry.ip, entry.secondsLeft.map { MessageTime.span(TimeInterval($0)) } ?? "permanent", entry.source])
            }
            lines.append(table.text)
        }
        return lines.joined(separator: "\n")
    }
}

/// `bothub unblock AGENT IP --config FILE`
struct UnblockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unblock",
        abstract: "Lift a block on an agent (as /unblock in the chat: same checks, audit and sealed command).",
        discussion: "Exits 0 when the agent lifted it (or it was not blocked), 1 when refused, failed or unreachable."
    )

    @Argument(help: "The agent id.")
    var agent: String

    @Argument(help: "The blocked address or IPv6 prefix.")
    var ip: String

    @Option(help: ArgumentHelp(ConfigFileLocation.help("The hub YAML file")))
    var config: String = ConfigFileLocation.hub

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard OperatorCommands.unblockTarget(ip) != nil else { throw ValidationError("IP: not an IPv4 or IPv6 address or IPv6 prefix: \(ip)") }
    }

    func run() async throws {
        logging.bootstrap()
        let logger = Logger(label: "bothub")
        let hub = try HubTerminal.open(config: config)
        let commands = OperatorCommands(
            store: hub.store, agents: hub.agents, dispatcher: ResponseDispatcher(agents: hub.agents, timeout: .seconds(15), logger: logger),
            settings: ChoiceSettings(), logger: logger, now: Date.init)
        switch await commands.unblock(agent: agent, ip: ip, by: HubTerminal.localOperator) {
        case .failure(let refusal):
            throw TerminalError("\(refusal)" + (refusal == .unknownAgent(agent) ? " (known: \(hub.agents.ids.joined(separator: ", ")))" : ""))
        case .success(let result):
            let detail = result.detail.map { " (\($0))" } ?? ""
            switch result.outcome {
            case .done: print("unblock \(ip) on \(agent) → done\(detail)")
            case .alreadyDone: print("unblock \(ip) on \(agent) → was not blocked\(detail)")
            case .started: print("unblock \(ip) on \(agent) → started\(detail)")
            case .refused(let reason):
                print("unblock \(ip) on \(agent) → refused by the agent: \(reason)\(detail)")
                throw ExitCode.failure
            case .failed(let reason):
                print("unblock \(ip) on \(agent) → failed: \(reason)\(detail)")
                throw ExitCode.failure
            }
        }
    }
}
