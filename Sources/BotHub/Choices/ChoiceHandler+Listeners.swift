import Foundation
import Logging
import Shared

extension ChoiceHandler {
    /// How long Mute program hides a program's new_listener alerts.
    static let programMuteDuration: TimeInterval = 30 * 86_400

    /// The mute target for a listener alert's program: `program:<agent>:<executable>`, so `/unmute` lifts it too.
    static func programMuteTarget(of alert: Alert) -> String? {
        guard case .listener(let listener) = alert.subject, let exe = listener.exe else { return nil }
        return ChatMute.programTarget(agent: alert.agent, executable: exe)
    }

    /// Mute program: new_listener alerts of this executable on this agent are stored and audited but not shown, in
    /// every configured chat, for `programMuteDuration`. Critical ones still show: a muted program that opens a port
    /// in the shape of a bind shell (from /tmp, deleted, unpackaged and exposed) is not what the operator muted.
    func muteProgram(of alert: Alert, by actor: String, now: Date) async throws {
        guard let target = Self.programMuteTarget(of: alert) else { throw NothingToMute() }
        let until = now.addingTimeInterval(Self.programMuteDuration)
        for chat in roster.chats {
            try await store.mute(ChatMute(chatId: chat.id, target: target, until: until, includesCritical: false, mutedBy: actor))
        }
        await audit("mute", actor: actor, alertID: alert.id.uuidString, detail: "\(target) in every chat until \(MessageTime.format(until))")
    }

    /// The port a listener alert is about, with its text (`tcp/8080`) for buttons and lines.
    static func port(of alert: Alert) -> (transport: String, port: Int, text: String)? {
        alert.subject.listenerPort.map { ($0.transport, $0.port, "\($0.transport)/\($0.port)") }
    }

    /// Unblock port on a listener alert whose port was blocked.
    func unblockPort(_ port: (transport: String, port: Int, text: String), stored: StoredAlert, alert: Alert, press: Press, actionName: String) async
    {
        let actor = press.name
        let language = press.chatID.map { roster.language(of: $0) } ?? roster.defaultLanguage
        await press.reply(catalogs.text(.toastWorking, language: language, ["action": actionName]), false)
        let actorID = press.origin == .hubMachine ? nil : press.userID
        await audit("press", actor: actor, actorID: actorID, alertID: stored.id, detail: "unblock \(port.text) by user \(press.userID)")
        let command: ResponseCommand
        do {
            command = try ResponseCommand(
                unblocking: alert, by: Operator(telegramUserId: press.userID, name: actor), issuedAt: now(), lifetime: settings.commandLifetime)
        } catch {
            await audit("press_refused", actor: actor, actorID: actorID, alertID: stored.id, detail: "unblock: \(error)")
            return
        }
        await audit(
            "command", actor: actor, actorID: actorID, alertID: stored.id, detail: "\(command.id) \(command.action.auditText) → \(alert.agent)")
        let result = await dispatcher.dispatch(command, to: alert.agent, now: now())
        await audit(
            "result", actor: alert.agent, alertID: stored.id, detail: "\(result.commandId) \(Self.describe(result.outcome)) \(result.detail ?? "")")
        logChoice(actor: actor, choice: "unblock \(port.text)", stored: stored, outcome: Self.describe(result.outcome))
        await press.finished(.dispatched(result))
        let chosenAt = now()
        let line = { (language: String) in
            let action = catalogs.text(.actionUnblockPort, language: language, ["port": port.text])
            return catalogs.outcomeLine(result, values: ["action": action, "user": actor, "time": MessageTime.format(chosenAt)], language: language)
        }
        let succeeded = result.outcome == .done || result.outcome == .alreadyDone
        await presenter.refresh(stored, alert: alert, extra: line, keyboard: succeeded ? .none : .unblockPort(port.text))
    }
}

/// Mute program on an alert that names no executable (the choice is refused, nothing is stored).
struct NothingToMute: Error, CustomStringConvertible {
    var description: String { "this alert names no program to mute" }
}

extension ChatMute {
    /// `program:<agent>:<executable>`.
    static func programTarget(agent: String, executable: String) -> String {
        "program:\(agent):\(executable)"
    }
}
