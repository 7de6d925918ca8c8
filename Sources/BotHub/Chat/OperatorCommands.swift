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
    /// The longest mute (`telegram.max_mute`); a longer one is cut to it.
    var maxMute: TimeInterval = 86_400

    /// Why a command was not carried out, before anything reached an agent.
    enum Refusal: Error, Equatable, CustomStringConvertible {
        case unknownAgent(String)
        case badAddress(String)
        case badMuteTarget(String)
        case criticalMuteNeedsAdmin

        var description: String {
            switch self {
            case .unknownAgent(let agent): "unknown agent \(agent)"
            case .badAddress(let text): "not an IP address or IPv6 prefix: \(text)"
            case .badMuteTarget(let target): "\(target) is neither an agent nor an alert kind"
            case .criticalMuteNeedsAdmin: "only an admin mutes critical alerts"
            }
        }
    }

    /// Asks `agent` to lift its block on `ip`, audits the command and its result, and forgets the block the hub
    /// recorded once the agent confirms.
    func unblock(agent: String, ip text: String, by requester: Operator) async -> Result<ResponseResult, Refusal> {
        guard let ip = Self.unblockTarget(text) else { return .failure(.badAddress(text)) }
        guard agents.entry(for: agent) != nil else { return .failure(.unknownAgent(agent)) }
        let command = ResponseCommand(
            alertId: nil,
            action: .unblockIP(ip: ip),
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
                try await store.removeBlock(agent: agent, ip: ip)
            } catch {
                logger.error("cannot forget a lifted block", metadata: ["agent": "\(agent)", "ip": "\(ip)", "error": "\(error)"])
            }
        }
        return .success(result)
    }

    /// One address, or an IPv6 prefix as the agent lists it in its blocks (the agent checks it again, strictly).
    static func unblockTarget(_ text: String) -> String? {
        if let ip = IPAddress(text) { return ip.description }
        return IPNetwork(text).flatMap { $0.address.isIPv4 ? nil : $0.description }
    }

    /// A mute as recorded, and whether it was cut to `maxMute`.
    struct MuteMade: Equatable {
        var mute: ChatMute
        var capped: Bool
    }

    /// Holds back alerts from an agent or of a kind in one chat until `now + duration` (at most `maxMute`). Critical
    /// alerts stay visible unless `includesCritical`, which only an admin may ask for.
    func mute(
        _ target: String, for duration: Duration, inChat chatID: Int64, includesCritical: Bool, by requester: Operator,
        role: TelegramConfiguration.Role
    ) throws -> Result<MuteMade, Refusal> {
        guard agents.entry(for: target) != nil || AlertKind(rawValue: target) != nil else { return .failure(.badMuteTarget(target)) }
        if includesCritical, role != .admin { return .failure(.criticalMuteNeedsAdmin) }
        let asked = TimeInterval(duration.components.seconds)
        let until = now().addingTimeInterval(min(asked, maxMute))
        let mute = ChatMute(chatId: chatID, target: target, until: until, includesCritical: includesCritical, mutedBy: requester.name)
        try store.mute(mute)
        audit(
            "mute", actor: requester.name, actorID: requester.telegramUserId,
            detail: "\(target) in chat \(chatID) until \(MessageTime.format(until))\(includesCritical ? ", critical included" : "")")
        return .success(MuteMade(mute: mute, capped: asked > maxMute))
    }

    /// Lifts the mute of `target` in `chatID` only; false when it was not muted there.
    func unmute(_ target: String, inChat chatID: Int64, by requester: Operator) throws -> Bool {
        let removed = try store.unmute(target, in: chatID)
        if removed { audit("unmute", actor: requester.name, actorID: requester.telegramUserId, detail: "\(target) in chat \(chatID)") }
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
