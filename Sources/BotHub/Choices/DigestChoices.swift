import Foundation
import Logging
import Shared

/// "Block top 10" and "Show all" on a digest message: the same policy as an alert's buttons (`ChoicePolicy`), the
/// block claimed once for the whole digest, and each address blocked with the command its own alert would send.
struct DigestChoices: Sendable {
    let store: HubStore
    let catalogs: MessageCatalogs
    let roster: ChatRoster
    let dispatcher: any CommandDispatching
    let settings: ChoiceSettings
    let presenter: ChoicePresenter
    let auditor: ChoiceAuditor
    let storeErrors: StoreErrorReporter
    let logger: Logger
    let now: @Sendable () -> Date

    /// How many of a digest's block commands are in flight at once.
    static let dispatchWidth = 4

    func handle(_ press: Press, data: CallbackData, role: TelegramConfiguration.Role?, language: String) async {
        let chatID = press.chatID ?? 0
        let found: StoredDigest?
        do {
            found = try await store.digest(shortID: data.shortID)
        } catch {
            storeErrors.report(error, operation: "read_digest", context: ["data": "\(press.data ?? "-")"])
            await press.reply(catalogs.text(.toastStoreFailed, language: language), true)
            return
        }
        guard let digest = found, let id = digest.id, digest.chatId == chatID else {
            await press.reply(catalogs.text(.toastInvalid, language: language), false)
            return
        }
        switch ChoicePolicy(settings: settings).decide(data.choice, onDigestLastAlertAt: digest.lastAlertAt, role: role, now: now()) {
        case .refuse(.notOperator):
            await press.reply(catalogs.text(.toastNotOperator, language: language), true)
            await auditor.record(
                "press_refused", by: press, alertID: nil, detail: "user \(press.userID) is not an operator of chat \(chatID) (digest \(id))")
        case .refuse(.needsAdmin(let action)):
            await press.reply(
                catalogs.text(.toastNeedsAdmin, language: language, ["action": catalogs.text(action.rule.label, language: language)]), true)
            await auditor.record("press_refused", by: press, alertID: nil, detail: "digest \(id): \(action.rawValue) needs role admin")
        case .refuse(.expired):
            await press.reply(catalogs.text(.toastExpired, language: language), true)
            await auditor.record("press_refused", by: press, alertID: nil, detail: "digest \(id) button expired")
        case .refuse:
            await press.reply(catalogs.text(.toastInvalid, language: language), false)
        case .show:
            await press.reply(nil, false)
            let alerts = await alerts(of: id)
            await presenter.send(chatID: chatID, html: DigestRenderer(catalogs: catalogs).renderList(digest, alerts: alerts, language: language))
        case .block:
            await block(digest, id: id, press: press, language: language)
        }
    }

    private func alerts(of id: Int64) async -> [Alert] {
        let stored = await storeErrors.attempt("read_digest_alerts", context: ["digest": "\(id)"]) { try await store.digestAlerts(id) } ?? []
        return stored.compactMap { stored in
            storeErrors.attempt("decode_alert", context: ["alert": "\(stored.id)"]) { try stored.decoded() }
        }
    }

    private func block(_ digest: StoredDigest, id: Int64, press: Press, language: String) async {
        let actor = press.name
        let chatID = press.chatID ?? 0
        let targets = digest.shownBlockTargets
        guard !targets.isEmpty else {
            await press.reply(catalogs.text(.toastInvalid, language: language), false)
            return
        }
        let claim: AlertClaim
        do {
            claim = try await store.claimDigest(id, by: actor, now: now())
        } catch {
            storeErrors.report(error, operation: "claim_digest", context: ["digest": "\(id)"])
            await press.reply(catalogs.text(.toastStoreFailed, language: language), true)
            return
        }
        switch claim {
        case .claimed:
            break
        case .alreadyHandled(let by, _, _):
            await press.reply(catalogs.text(.toastHandled, language: language, ["user": by]), true)
            await auditor.record("press_refused", by: press, alertID: nil, detail: "digest \(id) already handled by \(by)")
            return
        case .unknown:
            await press.reply(catalogs.text(.toastInvalid, language: language), false)
            return
        }
        let actionName = catalogs.text(.buttonDigestBlock, language: language, ["count": String(targets.count)])
        await press.reply(catalogs.text(.toastWorking, language: language, ["action": actionName]), false)
        await auditor.record("press", by: press, alertID: nil, detail: "digest \(id) block \(targets.joined(separator: " ")) by user \(press.userID)")
        let requester = Operator(telegramUserId: press.userID, name: actor)
        let action = ChoicePolicy.digestBlockAction
        let alerts = await alerts(of: id)
        let blockable = alerts.filter { $0.actions.contains(action) }
        // Exactly the addresses the message listed when it was last shown, not whatever the digest holds by now.
        let commands = targets.compactMap { ip -> (ip: String, source: Alert, command: ResponseCommand)? in
            guard let source = blockable.first(where: { $0.subject.remoteAddress == ip }) else { return nil }
            do {
                return (ip, source, try ResponseCommand(for: action, on: source, by: requester, issuedAt: now(), lifetime: settings.commandLifetime))
            } catch {
                logger.warning("a digest address has no block command", metadata: ["digest": "\(id)", "ip": "\(ip)", "error": "\(error)"])
                return nil
            }
        }
        let succeeded = await dispatch(commands, digestID: id, press: press)
        let line = catalogs.text(
            .digestBlockOutcome,
            language: language,
            [
                "action": actionName, "user": actor, "time": MessageTime.format(now()),
                "done": catalogs.text(.pluralAddresses, language: language, count: succeeded),
                "failed": catalogs.text(.pluralAddresses, language: language, count: commands.count - succeeded),
            ]
        )
        await storeErrors.perform("set_digest_outcome", context: ["digest": "\(id)"]) { try await store.setDigestOutcome(id, outcome: line) }
        var updated = digest
        updated.outcome = line
        if let messageID = digest.messageId {
            let rendered = DigestRenderer(catalogs: catalogs).render(updated, alerts: alerts, language: language, now: now())
            await presenter.edit(chatID: chatID, messageID: messageID, html: rendered.html, keyboard: rendered.keyboard)
        }
    }

    /// Sends the commands a few at a time (the agent runs its firewall changes one by one anyway, and a slow agent then
    /// holds this press for a fraction of the targets' timeouts instead of their sum); returns how many succeeded.
    private func dispatch(_ commands: [(ip: String, source: Alert, command: ResponseCommand)], digestID id: Int64, press: Press) async -> Int {
        await withTaskGroup(of: Bool.self) { group in
            var succeeded = 0
            for (index, target) in commands.enumerated() {
                if index >= Self.dispatchWidth, await group.next() == true { succeeded += 1 }
                group.addTask {
                    let (ip, source, command) = target
                    await auditor.record(
                        "command", by: press, alertID: source.id.uuidString, detail: "\(command.id) \(command.action.auditText) → \(source.agent)")
                    let result = await dispatcher.dispatch(command, to: source.agent, now: now())
                    await auditor.record(
                        "result", actor: source.agent, alertID: source.id.uuidString,
                        detail: "\(result.commandId) \(ChoiceHandler.describe(result.outcome))")
                    guard result.outcome.succeeded else { return false }
                    let until = ChoicePolicy.digestBlockAction.blockDuration.flatMap { $0 }.map {
                        now().addingTimeInterval(TimeInterval($0.components.seconds))
                    }
                    await storeErrors.perform("record_block", context: ["digest": "\(id)", "ip": "\(ip)"]) {
                        try await store.recordBlock(
                            agent: source.agent, ip: ip, until: until, alertID: source.id.uuidString, by: press.name, at: now())
                    }
                    return true
                }
            }
            for await result in group where result { succeeded += 1 }
            return succeeded
        }
    }
}
