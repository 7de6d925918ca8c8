import ArgumentParser
import Foundation
import Logging
import Shared

/// `bothub mute AGENT|KIND DURATION --config FILE`
struct MuteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mute",
        abstract: "Hold back alerts from an agent or of a kind for a while (as /mute in the chat); they are still stored and listed."
    )

    @Argument(help: "An agent id or an alert kind (ssh_session, http_404_burst, …).")
    var target: String

    @Argument(help: "How long, e.g. 30m, 2h, 1d.")
    var duration: String

    @Option(help: "The hub YAML file.")
    var config: String

    func validate() throws {
        guard let parsed = DurationText.parse(duration), parsed > .zero else {
            throw ValidationError("DURATION: expected a duration like 30m, 2h or 1d")
        }
    }

    func run() throws {
        let hub = try HubTerminal.open(config: config)
        let span = DurationText.parse(duration) ?? .seconds(3600)
        switch try MuteCommand.operations(hub).mute(target, for: span, by: HubTerminal.localOperator.name) {
        case .success(let until): print("\(target) muted until \(MessageTime.precise(until)).")
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
            settings: ChoiceSettings(), logger: logger, now: Date.init)
    }
}

/// `bothub unmute AGENT|KIND --config FILE`
struct UnmuteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unmute", abstract: "Lift a mute (as /unmute in the chat).")

    @Argument(help: "The muted agent id or alert kind.")
    var target: String

    @Option(help: "The hub YAML file.")
    var config: String

    func run() throws {
        let hub = try HubTerminal.open(config: config)
        guard try MuteCommand.operations(hub).unmute(target, by: HubTerminal.localOperator.name) else {
            throw TerminalError("\(target) was not muted")
        }
        print("\(target) unmuted.")
    }
}
