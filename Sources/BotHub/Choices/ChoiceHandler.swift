import Foundation
import Logging
import Shared

/// Turns a button press into an outcome: answers the query at once, asks `ChoicePolicy` what the press may do, and
/// carries that out: claims the alert (single use), dispatches the sealed command built from the alert, records the
/// outcome, and has `ChoicePresenter` show it. Digest buttons go to `DigestChoices`. Every press, authorized or not,
/// is audited (`ChoiceAuditor`).
struct ChoiceHandler: Sendable {
    let store: HubStore
    let catalogs: MessageCatalogs
    /// Nil when the hub runs without Telegram (choices then come from `bothub choose`).
    let telegram: (any TelegramAPI)?
    let roster: ChatRoster
    let dispatcher: any CommandDispatching
    let settings: ChoiceSettings
    let logger: Logger
    let now: @Sendable () -> Date
    /// Shared with the chat commands, so a stranger's commands and presses count against one budget.
    var strangers = StrangerReplyLimiter()
    /// Where `/metrics` counts store errors (nil in `bothub choose`, which prints them instead).
    var metrics: MetricsRegistry?

    /// The one policy for store errors: logged with context, counted; the caller tells the operator.
    var storeErrors: StoreErrorReporter { StoreErrorReporter(logger: logger, metrics: metrics) }

    var auditor: ChoiceAuditor { ChoiceAuditor(store: store, logger: logger, now: now) }

    var presenter: ChoicePresenter {
        ChoicePresenter(
            store: store, catalogs: catalogs, telegram: telegram, roster: roster, storeErrors: storeErrors, logger: logger,
            confirmationWindow: settings.confirmationWindow)
    }

    var digests: DigestChoices {
        DigestChoices(
            store: store, catalogs: catalogs, roster: roster, dispatcher: dispatcher, settings: settings, presenter: presenter, auditor: auditor,
            storeErrors: storeErrors, logger: logger, now: now)
    }

    /// A button press in Telegram: answered with a toast (someone who is not an operator there gets a few a minute).
    func handle(_ query: TelegramCallbackQuery) async {
        let telegram = telegram
        let logger = logger
        let origin: Press.Origin = query.message.map { .chat($0.chat.id) } ?? .noChat
        let answers = await mayAnswer(query.from, origin: origin)
        let press = Press(
            userID: query.from.id,
            name: query.from.displayName,
            origin: origin,
            data: query.data,
            messageID: query.message?.messageId,
            reply: { text, showAlert in
                guard answers else { return }
                do {
                    try await telegram?.answerCallbackQuery(id: query.id, text: text.map { String($0.prefix(200)) }, showAlert: showAlert)
                } catch {
                    logger.notice("cannot answer callback query", metadata: ["error": "\(error)"])
                }
            }
        )
        await process(press)
    }

    /// Whether this press gets an answer: always for an operator of the chat, a few a minute for anyone else (the
    /// first one withheld in a minute is audited; every press is audited by `process` either way).
    private func mayAnswer(_ user: TelegramUser, origin: Press.Origin) async -> Bool {
        if case .chat(let chatID) = origin, roster.configured(chatID)?.operators.contains(where: { $0.userID == user.id }) == true {
            return true
        }
        switch strangers.verdict(for: user.id, now: now()) {
        case .reply: return true
        case .silenceStarts:
            await audit("reply_suppressed", actor: user.displayName, alertID: nil, detail: "user \(user.id): no more replies to presses this minute")
            return false
        case .silent: return false
        }
    }

    /// Handles a press from Telegram or from `bothub choose`: the same authorization, audit and dispatch.
    func process(_ press: Press) async {
        if press.origin == .noChat {
            // Nobody is an operator of "no chat"; before this check such a press counted as the hub machine's.
            await press.reply(catalogs.text(.toastNoChat, language: roster.defaultLanguage), true)
            await audit("press_refused", by: press, alertID: nil, detail: "press without a chat by user \(press.userID): data=\(press.data ?? "-")")
            return
        }
        let chatID = press.chatID ?? 0
        let language = press.chatID.map { roster.language(of: $0) } ?? roster.defaultLanguage
        let text = { (key: MessageKey, values: [String: String]) in catalogs.text(key, language: language, values) }

        if let data = press.data.flatMap(CallbackData.init), data.choice == .digestBlock || data.choice == .digestShow {
            await digests.handle(press, data: data, role: role(of: press), language: language)
            return
        }
        if let data = press.data.flatMap(CallbackData.init), data.choice.isFleetUpgrade {
            await FleetUpgradeChoices(handler: self).handle(press, data: data, language: language)
            return
        }
        let data = press.data.flatMap(CallbackData.init)
        let found: StoredAlert?
        do {
            found = if let data { try await store.alert(shortID: data.shortID) } else { nil }
        } catch {
            storeErrors.report(error, operation: "read_alert", context: ["data": "\(press.data ?? "-")"])
            await press.reply(text(.toastStoreFailed, [:]), true)
            return
        }
        guard let data, let stored = found,
            let alert = storeErrors.attempt("decode_alert", context: ["alert": "\(stored.id)"], { try stored.decoded() })
        else {
            await press.reply(text(.toastInvalid, [:]), false)
            await audit("press_invalid", by: press, alertID: nil, detail: "data=\(press.data ?? "-") user=\(press.userID)")
            return
        }
        let actionName = data.choice.action.map { text($0.rule.label, [:]) } ?? text(.actionUnblock, [:])

        switch ChoicePolicy(settings: settings).decide(data.choice, on: stored, alert: alert, role: role(of: press), now: now()) {
        case .refuse(.notOperator):
            await press.reply(text(.toastNotOperator, [:]), true)
            await audit("press_refused", by: press, alertID: stored.id, detail: "user \(press.userID) is not an operator of chat \(chatID)")
        case .refuse(.needsAdmin(let requested)):
            await press.reply(text(.toastNeedsAdmin, ["action": actionName]), true)
            await audit("press_refused", by: press, alertID: stored.id, detail: "\(requested.rawValue) needs role admin")
        case .refuse(.notForAlerts), .refuse(.notForDigests):
            await press.reply(text(.toastInvalid, [:]), false)
        case .refuse(.notOffered(let requested)):
            await press.reply(text(.toastInvalid, [:]), false)
            await audit("press_refused", by: press, alertID: stored.id, detail: "\(requested.rawValue) was not offered")
        case .refuse(.expired):
            await press.reply(text(.toastExpired, [:]), true)
            await audit("press_refused", by: press, alertID: stored.id, detail: "button expired")
        case .refuse(.alreadyHandled(let by)):
            await press.reply(text(.toastHandled, ["user": by]), true)
        case .cancel:
            await storeErrors.perform("cancel_confirmation", context: ["alert": "\(stored.id)"]) {
                _ = try await store.takeConfirmation(alertID: stored.id, choice: "", userID: press.userID, now: now())
            }
            await press.reply(text(.toastCancelled, [:]), false)
            await audit("press", by: press, alertID: stored.id, detail: "cancelled a confirmation")
            await presenter.refresh(stored, alert: alert, extra: nil, keyboard: .offered)
        case .askConfirmation(let action):
            let saved = await storeErrors.perform("save_confirmation", context: ["alert": "\(stored.id)"]) {
                try await store.saveConfirmation(
                    alertID: stored.id,
                    choice: action.rawValue,
                    userID: press.userID,
                    expiresAt: now().addingTimeInterval(settings.confirmationWindow)
                )
            }
            guard saved else {
                await press.reply(text(.toastStoreFailed, [:]), true)
                return
            }
            await press.reply(text(.toastConfirm, [:]), false)
            await press.finished(.confirmationRequested)
            await audit("confirm_requested", by: press, alertID: stored.id, detail: action.rawValue)
            await presenter.askConfirmation(of: stored, alert: alert, action: action, chatID: chatID, language: language)
        case .confirm(let action):
            let confirmation = await storeErrors.attempt("take_confirmation", context: ["alert": "\(stored.id)"]) {
                try await store.takeConfirmation(alertID: stored.id, choice: action.rawValue, userID: press.userID, now: now())
            }
            guard let confirmation else {
                await press.reply(text(.toastStoreFailed, [:]), true)
                return
            }
            guard confirmation else {
                await press.reply(text(.toastConfirmExpired, [:]), true)
                await audit("press_refused", by: press, alertID: stored.id, detail: "confirmation of \(action.rawValue) missing or expired")
                await presenter.refresh(stored, alert: alert, extra: nil, keyboard: .offered)
                return
            }
            await carryOut(action, stored: stored, alert: alert, press: press, actionName: actionName)
        case .carryOut(let action):
            await carryOut(action, stored: stored, alert: alert, press: press, actionName: actionName)
        case .unblock:
            await unblock(stored: stored, alert: alert, press: press, actionName: actionName)
        case .simulateUpgrade(let index):
            await simulateUpgrade(index, stored: stored, alert: alert, press: press, language: language)
        case .confirmUpgrade(let index, let planHash):
            await confirmUpgrade(index, planHash: planHash, stored: stored, alert: alert, press: press, actionName: actionName)
        case .showAll:
            await showAllUpdates(stored: stored, alert: alert, press: press, language: language)
        case .snooze:
            await snooze(stored: stored, alert: alert, press: press, language: language)
        }
    }

    /// Claims the alert (single use), runs the choice and shows the outcome.
    func carryOut(
        _ action: AlertAction, stored: StoredAlert, alert: Alert, press: Press, actionName: String, responseAction: ResponseAction? = nil
    ) async {
        let actor = press.name
        let language = press.chatID.map { roster.language(of: $0) } ?? roster.defaultLanguage
        let chosenAt = now()
        let claim: AlertClaim
        do {
            claim = try await store.claimAlert(
                id: stored.id, choice: action.rawValue, by: actor, now: chosenAt, staleBefore: chosenAt.addingTimeInterval(-settings.staleClaimAfter))
        } catch {
            storeErrors.report(error, operation: "claim_alert", context: ["alert": "\(stored.id)"])
            await press.reply(presenter.notRecordedLine(action, actor: actor, at: chosenAt, language: language), true)
            return
        }
        switch claim {
        case .claimed:
            break
        case .alreadyHandled(let by, _, _):
            await press.reply(catalogs.text(.toastHandled, language: language, ["user": by]), true)
            await audit("press_refused", by: press, alertID: stored.id, detail: "already handled by \(by)")
            return
        case .unknown:
            await press.reply(catalogs.text(.toastInvalid, language: language), false)
            return
        }
        await audit("press", by: press, alertID: stored.id, detail: "\(action.rawValue) by user \(press.userID)")
        let values = ["action": actionName, "user": actor, "time": MessageTime.format(chosenAt)]
        // Each chat reads the outcome in its own language, not the presser's.
        let valuesIn = { (language: String) in
            ["action": catalogs.text(action.rule.label, language: language), "user": actor, "time": MessageTime.format(chosenAt)]
        }

        if case .onHub(let key) = action.rule.settlement {
            let recorded = await storeErrors.perform("finish_alert", context: ["alert": "\(stored.id)"]) {
                if action == .muteProgram { try await muteProgram(of: alert, by: actor, now: chosenAt) }
                try await store.finishAlert(
                    id: stored.id, outcome: catalogs.text(key, language: roster.defaultLanguage, valuesIn(roster.defaultLanguage)), reopen: false)
            }
            guard recorded else {
                await press.reply(presenter.notRecordedLine(action, actor: actor, at: chosenAt, language: language), true)
                await presenter.refresh(
                    stored, alert: alert, extra: { presenter.notRecordedLine(action, actor: actor, at: chosenAt, language: $0) }, keyboard: .offered)
                return
            }
            await press.reply(catalogs.text(key, language: language, values), false)
            logChoice(actor: actor, choice: action.rawValue, stored: stored, outcome: "done")
            await press.finished(.local(catalogs.text(key, language: roster.defaultLanguage, valuesIn(roster.defaultLanguage))))
            await presenter.refresh(stored, alert: alert, extra: { catalogs.text(key, language: $0, valuesIn($0)) }, keyboard: .none)
            return
        }

        let operatorID = Operator(telegramUserId: press.userID, name: actor)
        let result: ResponseResult
        let built = Result { () throws(CommandConstructionError) -> ResponseCommand in
            // An upgrade's command comes from its confirmed plan (`ChoiceHandler+Upgrade`); every other from the alert.
            if let responseAction {
                return ResponseCommand(responseAction, on: alert, by: operatorID, issuedAt: now(), lifetime: settings.commandLifetime)
            }
            return try ResponseCommand(for: action, on: alert, by: operatorID, issuedAt: now(), lifetime: settings.commandLifetime)
        }
        switch built {
        case .success(let command):
            // Stored before it is sent: a hub killed while the agent works sends this same id again at its next start.
            do {
                try await store.recordPendingCommand(alertID: stored.id, command: command)
            } catch {
                storeErrors.report(error, operation: "record_pending_command", context: ["alert": "\(stored.id)"])
                await storeErrors.perform("finish_alert", context: ["alert": "\(stored.id)"]) {
                    try await store.finishAlert(
                        id: stored.id, outcome: presenter.notRecordedLine(action, actor: actor, at: chosenAt, language: roster.defaultLanguage),
                        reopen: true)
                }
                await press.reply(presenter.notRecordedLine(action, actor: actor, at: chosenAt, language: language), true)
                await presenter.refresh(
                    stored, alert: alert, extra: { presenter.notRecordedLine(action, actor: actor, at: chosenAt, language: $0) }, keyboard: .offered)
                return
            }
            await press.reply(catalogs.text(.toastWorking, language: language, ["action": actionName]), false)
            await presenter.refresh(stored, alert: alert, extra: { catalogs.text(.outcomePending, language: $0, valuesIn($0)) }, keyboard: .none)
            await audit("command", by: press, alertID: stored.id, detail: "\(command.id) \(command.action.auditText) → \(alert.agent)")
            result = await dispatcher.dispatch(command, to: alert.agent, now: now())
        case .failure(let reason):
            await press.reply(catalogs.text(.toastWorking, language: language, ["action": actionName]), false)
            result = ResponseResult(commandId: UUID(), outcome: .failed(reason: reason.description), finishedAt: now())
        }
        await audit(
            "result", actor: alert.agent, alertID: stored.id, detail: "\(result.commandId) \(Self.describe(result.outcome)) \(result.detail ?? "")")
        logChoice(actor: actor, choice: action.rawValue, stored: stored, outcome: Self.describe(result.outcome))
        await press.finished(.dispatched(result))
        await conclude(action, stored: stored, alert: alert, result: result, actor: actor, chosenAt: chosenAt)
    }

    /// Records how a sent choice ended and shows it in every chat: after a press, and after the start-up recovery
    /// sent a command again. When the outcome cannot be recorded the chats are told so, and the buttons stay: the
    /// claim is taken over once it is stale (`ChoiceSettings.staleClaimAfter`), so the alert is never stuck.
    func conclude(_ action: AlertAction, stored: StoredAlert, alert: Alert, result: ResponseResult, actor: String, chosenAt: Date) async {
        let valuesIn = { (language: String) in
            ["action": catalogs.text(action.rule.label, language: language), "user": actor, "time": MessageTime.format(chosenAt)]
        }
        let line = { (language: String) in catalogs.outcomeLine(result, values: valuesIn(language), language: language) }
        // A started upgrade is not reopened: its end arrives as `upgrade_finished` and is folded into these messages.
        let succeeded = result.outcome.succeeded || result.outcome == .started
        let recorded = await storeErrors.perform("finish_alert", context: ["alert": "\(stored.id)"]) {
            try await store.finishAlert(id: stored.id, outcome: line(roster.defaultLanguage), reopen: !succeeded)
        }
        guard recorded else {
            await presenter.refresh(
                stored, alert: alert, extra: { line($0) + "\n" + presenter.notRecordedLine(action, actor: actor, at: chosenAt, language: $0) },
                keyboard: .offered)
            return
        }
        var keyboard = ChoicePresenter.Keyboard.offered
        if succeeded {
            keyboard = .none
            if let duration = action.blockDuration, let ip = alert.subject.remoteAddress {
                await storeErrors.perform("record_block", context: ["alert": "\(stored.id)", "ip": "\(ip)"]) {
                    try await store.recordBlock(
                        agent: alert.agent,
                        ip: ip,
                        until: duration.map { now().addingTimeInterval(TimeInterval($0.components.seconds)) },
                        alertID: stored.id,
                        by: actor,
                        at: now()
                    )
                }
                keyboard = .unblock(ip)
            }
            if action == .blockPort, let port = Self.port(of: alert) {
                keyboard = .unblockPort(port.text)
            }
        }
        await presenter.refresh(stored, alert: alert, extra: line, keyboard: keyboard)
    }

    /// One hub log line per choice: who chose what on which alert, and how it ended.
    func logChoice(actor: String, choice: String, stored: StoredAlert, outcome: String) {
        logger.info("\(actor) chose \(choice) on \(stored.agent)/\(stored.shortId) → \(outcome)")
    }

    private func unblock(stored: StoredAlert, alert: Alert, press: Press, actionName: String) async {
        let actor = press.name
        let language = press.chatID.map { roster.language(of: $0) } ?? roster.defaultLanguage
        if let port = Self.port(of: alert) {
            await unblockPort(port, stored: stored, alert: alert, press: press, actionName: actionName)
            return
        }
        let requester = Operator(telegramUserId: press.userID, name: actor)
        let command: ResponseCommand
        do {
            command = try ResponseCommand(unblocking: alert, by: requester, issuedAt: now(), lifetime: settings.commandLifetime)
        } catch {
            await press.reply(catalogs.text(.toastInvalid, language: language), false)
            await audit("press_refused", by: press, alertID: stored.id, detail: "unblock: \(error)")
            return
        }
        let ip = alert.subject.remoteAddress ?? "-"
        await press.reply(catalogs.text(.toastWorking, language: language, ["action": actionName]), false)
        await audit("press", by: press, alertID: stored.id, detail: "unblock \(ip) by user \(press.userID)")
        await audit("command", by: press, alertID: stored.id, detail: "\(command.id) \(command.action.auditText) → \(alert.agent)")
        let result = await dispatcher.dispatch(command, to: alert.agent, now: now())
        await audit(
            "result", actor: alert.agent, alertID: stored.id, detail: "\(result.commandId) \(Self.describe(result.outcome)) \(result.detail ?? "")")
        logChoice(actor: actor, choice: "unblock \(ip)", stored: stored, outcome: Self.describe(result.outcome))
        await press.finished(.dispatched(result))
        let chosenAt = now()
        // Each chat reads the line in its own language; the block's own line is in the audit trail.
        let line = { (language: String) in
            let action = catalogs.text(.actionUnblock, language: language) + " " + ip
            return catalogs.outcomeLine(result, values: ["action": action, "user": actor, "time": MessageTime.format(chosenAt)], language: language)
        }
        let succeeded = result.outcome.succeeded
        if succeeded {
            await storeErrors.perform("remove_block", context: ["agent": "\(alert.agent)", "ip": "\(ip)"]) {
                try await store.removeBlock(agent: alert.agent, ip: ip)
            }
        }
        await presenter.refresh(stored, alert: alert, extra: line, keyboard: succeeded ? .none : .unblock(ip))
    }

    func audit(_ event: String, by press: Press, alertID: String?, detail: String) async {
        await auditor.record(event, by: press, alertID: alertID, detail: detail)
    }

    func audit(_ event: String, actor: String?, actorID: Int64? = nil, alertID: String?, detail: String) async {
        await auditor.record(event, actor: actor, actorID: actorID, alertID: alertID, detail: detail)
    }

    static func describe(_ outcome: ResponseResult.Outcome) -> String {
        switch outcome {
        case .done, .alreadyDone, .started: outcome.name
        case .refused(let reason), .failed(let reason): "\(outcome.name): \(reason)"
        }
    }
}

extension ChoiceHandler {
    /// A Telegram presser's role in their chat; `bothub choose` runs on the hub machine by someone who already holds
    /// its configuration and keys, so a press from there is an admin's. A Telegram press without a chat has no role.
    func role(of press: Press) -> TelegramConfiguration.Role? {
        switch press.origin {
        case .hubMachine: .admin
        case .noChat: nil
        case .chat(let chatID): roster.configured(chatID)?.operators.first { $0.userID == press.userID }?.role
        }
    }
}
