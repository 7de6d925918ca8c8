import Foundation
import Logging
import Shared

/// What an operator does by command rather than by button: lift a block, mute and unmute. The chat commands
/// (`/unblock`, `/mute`, `/unmute`) and the hub's terminal (`bothub unblock`, `mute`, `unmute`) both call these, so
/// both check, audit and record alike.
struct OperatorCommands: Sendable {
    let store: HubStore
    let agents: AgentDirectory
    let dispatcher: ResponseDispatcher
    let settings: ChoiceSettings
    let logger: Logger
    let now: @Sendable () -> Date

    /// Why a command was not carried out, before anything reached an agent.
    enum Refusal: Error, Equatable, CustomStringConvertible {
        case unknownAgent(String)
        case badAddress(String)
        case badMuteTarget(String)

        var description: String {
            switch self {
            case .unknownAgent(let agent): "unknown agent \(agent)"
            case .badAddress(let text): "not an IP address: \(text)"
            case .badMuteTarget(let target): "\(target) is neither an agent nor an alert kind"
            }
        }
    }

    /// Asks `agent` to lift its block on `ip`, audits the command and its result, and forgets the block the hub
    /// recorded once the agent confirms.
    func unblock(agent: String, ip text: String, by requester: Operator) async -> Result<ResponseResult, Refusal> {
        guard let ip = IPAddress(text) else { return .failure(.badAddress(text)) }
        guard agents.entry(for: agent) != nil else { return .failure(.unknownAgent(agent)) }
        let command = ResponseCommand(
            alertId: nil,
            action: .unblockIP(ip: ip.description),
            requestedBy: requester,
            issuedAt: now(),
            expiresAt: now().addingTimeInterval(settings.commandLifetime)
        )
        audit("command", actor: requester.name, actorID: requester.telegramUserId, detail: "\(command.id) \(command.action.auditText) → \(agent)")
        let result = await dispatcher.dispatch(command, to: agent, now: now())
        audit("result", actor: agent, detail: "\(result.commandId) \(ChoiceHandler.describe(result.outcome)) \(result.detail ?? "")")
        logger.info("\(requester.name) chose unblock \(ip) on \(agent) → \(ChoiceHandler.describe(result.outcome))")
        if result.outcome == .done || result.outcome == .alreadyDone {
            do {
                try store.removeBlock(agent: agent, ip: ip.description)
            } catch {
                logger.error("cannot forget a lifted block", metadata: ["agent": "\(agent)", "ip": "\(ip)", "error": "\(error)"])
            }
        }
        return .success(result)
    }

    /// Holds back alerts from an agent or of a kind until `now + duration`; returns that instant.
    func mute(_ target: String, for duration: Duration, by actor: String) throws -> Result<Date, Refusal> {
        guard agents.entry(for: target) != nil || AlertKind(rawValue: target) != nil else { return .failure(.badMuteTarget(target)) }
        let until = now().addingTimeInterval(TimeInterval(duration.components.seconds))
        try store.mute(target, until: until)
        try store.audit("mute", actor: actor, alertID: nil, detail: "\(target) until \(MessageTime.precise(until))", at: now())
        return .success(until)
    }

    /// Lifts a mute; false when `target` was not muted.
    func unmute(_ target: String, by actor: String) throws -> Bool {
        let removed = try store.unmute(target)
        if removed { try store.audit("unmute", actor: actor, alertID: nil, detail: target, at: now()) }
        return removed
    }

    /// The audit row is the record of a command; a failure to write it is logged, never dropped.
    private func audit(_ event: String, actor: String, actorID: Int64? = nil, detail: String) {
        do {
            try store.audit(event, actor: actor, actorID: actorID == 0 ? nil : actorID, alertID: nil, detail: detail, at: now())
        } catch {
            logger.error("cannot write audit entry", metadata: ["event": "\(event)", "error": "\(error)"])
        }
    }
}
