import Foundation
import Logging
import Shared

extension ChoiceHandler {
    /// Finishes every choice a previous run left `handling` (the hub was killed while the agent worked, or before it
    /// sent anything). A choice whose command was stored is sent again with the same command id, which the agent
    /// answers from its journal instead of running it twice, and the outcome is shown as after a press; a choice with
    /// no stored command was never sent, so the alert is reopened and its messages say so. Returns how many it found.
    @discardableResult
    func recoverInterruptedChoices() async -> Int {
        guard let interrupted = await storeErrors.attempt("read_handling_alerts", { try await store.handlingAlerts() }) else { return 0 }
        for stored in interrupted {
            await recover(stored)
        }
        return interrupted.count
    }

    private func recover(_ stored: StoredAlert) async {
        let actor = stored.handledBy ?? "?"
        let chosenAt = stored.handledAt ?? now()
        let action = stored.pendingChoice.flatMap(AlertAction.init(rawValue:))
        let alert = storeErrors.attempt("decode_alert", context: ["alert": "\(stored.id)"]) { try stored.decoded() }
        let command = stored.pendingCommand.flatMap { json in
            storeErrors.attempt("decode_pending_command", context: ["alert": "\(stored.id)"]) {
                try WireCoding.decode(ResponseCommand.self, from: Array(json.utf8))
            }
        }
        if let alert, let action, let command {
            logger.notice(
                "sending again a command a previous run left unanswered",
                metadata: ["alert": "\(stored.shortId)", "agent": "\(alert.agent)", "command": "\(command.id)"])
            await audit(
                "command", actor: actor, alertID: stored.id,
                detail: "\(command.id) \(command.action.auditText) → \(alert.agent) (sent again after a restart)")
            let result = await dispatcher.dispatch(command, to: alert.agent, now: now())
            await audit(
                "result", actor: alert.agent, alertID: stored.id,
                detail: "\(result.commandId) \(Self.describe(result.outcome)) \(result.detail ?? "")")
            logChoice(actor: actor, choice: action.rawValue, stored: stored, outcome: Self.describe(result.outcome))
            await conclude(action, stored: stored, alert: alert, result: result, actor: actor, chosenAt: chosenAt)
            return
        }
        // Nothing was stored as sent, so nothing was sent: the choice is reopened for the operator to make again.
        let name = { (language: String) in
            action.map { catalogs.text($0.rule.label, language: language) } ?? (stored.pendingChoice ?? "?")
        }
        let line = { (language: String) in
            catalogs.text(.outcomeInterrupted, language: language, ["action": name(language), "user": actor, "time": MessageTime.format(chosenAt)])
        }
        let reopened = await storeErrors.perform("finish_alert", context: ["alert": "\(stored.id)"]) {
            try await store.finishAlert(id: stored.id, outcome: line(roster.defaultLanguage), reopen: true)
        }
        guard reopened else { return }
        logger.notice(
            "reopened a choice a previous run left unfinished", metadata: ["alert": "\(stored.shortId)", "choice": "\(stored.pendingChoice ?? "-")"])
        await audit(
            "recovered", actor: nil, alertID: stored.id,
            detail: "\(stored.pendingChoice ?? "a choice") by \(actor) was interrupted before anything was sent; reopened")
        if let alert {
            await presenter.refresh(stored, alert: alert, extra: line, keyboard: .offered)
        }
    }
}
