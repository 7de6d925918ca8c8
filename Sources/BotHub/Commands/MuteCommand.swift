import ArgumentParser
import Foundation
import Logging
import Shared

/// `bothub mute AGENT|KIND DURATION [--chat ID] [--critical] --config FILE`
struct MuteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mute",
        abstract: "Hold back alerts from an agent or of a kind in one chat for a while (as /mute there); they are still stored and listed."
    )

    @Argument(help: "An agent id or an alert kind (ssh_session, http_404_burst, …).")
    var target: String

    @Argument(help: "How long, e.g. 30m, 2h, 1d (at most telegram.max_mute).")
    var duration: String

    @Option(help: "The chat to mute in (a telegram.chats id); needed only when several chats are configured.")
    var chat: Int64?

    @Flag(help: "Hold back critical alerts too (the hub machine counts as an admin).")
    var critical = false

    @Option(help: ArgumentHelp(ConfigFileLocation.help("The hub YAML file")))
    var config: String = ConfigFileLocation.hub

    func validate() throws {
        guard let parsed = DurationText.parse(duration), parsed > .zero else {
            throw ValidationError("DURATION: expected a duration like 30m, 2h or 1d")
        }
    }

    func run() throws {
        let hub = try HubTerminal.open(config: config)
        let chatID = try Self.chat(chat, in: hub.configuration)
        let span = DurationText.parse(duration) ?? .seconds(3600)
        let made = try MuteCommand.operations(hub).mute(
            target, for: span, inChat: chatID, includesCritical: critical, by: HubTerminal.localOperator, role: .admin)
        switch made {
        case .success(let made):
            let capped = made.capped ? " (cut to telegram.max_mute, \(DurationText.format(hub.configuration.telegram.maxMute)))" : ""
            let scope = critical ? ", critical alerts included" : ""
            print("\(target) muted in chat \(chatID) until \(MessageTime.precise(made.mute.until))\(capped)\(scope).")
        case .failure(let refusal):
            throw TerminalError(
                "\(refusal) (agents: \(hub.agents.ids.joined(separator: ", ")); kinds: \(AlertKind.allCases.map(\.rawValue).joined(separator: ", ")))"
            )
        }
    }

    static func operations(_ hub: HubTerminal) -> OperatorCommands {
        let logger = Logger(label: "bothub")
        return OperatorCommands(
            store: hub.store, agents: hub.agents, dispatcher: ResponseDispatcher(agents: hub.agents, timeout: .seconds(15), logger: logger),
            settings: ChoiceSettings(), logger: logger, now: Date.init,
            maxMute: TimeInterval(hub.configuration.telegram.maxMute.components.seconds))
    }

    /// Mutes are per chat: `--chat` names one of the configured chats; without it, the only configured chat.
    static func chat(_ requested: Int64?, in configuration: HubConfiguration) throws -> Int64 {
        let configured = configuration.telegram.chats.map(\.id)
        let known = configured.map(String.init).joined(separator: ", ")
        if let requested {
            guard configured.contains(requested) else { throw TerminalError("--chat \(requested): not in telegram.chats (configured: \(known))") }
            return requested
        }
        switch configured.count {
        case 0: throw TerminalError("no chat to mute in: telegram.chats is empty")
        case 1: return configured[0]
        default: throw TerminalError("several chats are configured (\(known)): name one with --chat ID")
        }
    }
}

/// `bothub unmute AGENT|KIND [--chat ID] --config FILE`
struct UnmuteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unmute", abstract: "Lift a mute in one chat (as /unmute there).")

    @Argument(help: "The muted agent id or alert kind.")
    var target: String

    @Option(help: "The chat the mute is in; needed only when several chats are configured.")
    var chat: Int64?

    @Option(help: ArgumentHelp(ConfigFileLocation.help("The hub YAML file")))
    var config: String = ConfigFileLocation.hub

    func run() throws {
        let hub = try HubTerminal.open(config: config)
        let chatID = try MuteCommand.chat(chat, in: hub.configuration)
        guard try MuteCommand.operations(hub).unmute(target, inChat: chatID, by: HubTerminal.localOperator) else {
            throw TerminalError("\(target) was not muted in chat \(chatID)")
        }
        print("\(target) unmuted in chat \(chatID).")
    }
}
