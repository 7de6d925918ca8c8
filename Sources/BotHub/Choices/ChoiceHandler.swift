import Foundation
import Logging
import Shared

/// Turns a button press into an outcome: answers the query at once, checks who pressed and whether the button is
/// still valid, asks for a second tap for reboot and shutdown, dispatches the sealed command, and edits the alert's
/// messages with what happened and who chose it. Every press, authorized or not, is audited.
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

    /// A button press in Telegram: answered with a toast (someone who is not an operator there gets a few a minute).
    func handle(_ query: TelegramCallbackQuery) async {
        let telegram = telegram
        let logger = logger
        let origin: Press.Origin = query.message.map { .chat($0.chat.id) } ?? .noChat
        let answers = mayAnswer(query.from, origin: origin)
        let press = Press(
            userID: query.from.id,
            name: query.from.displayName,
            origin: origin,
            data: query.data,
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
    private func mayAnswer(_ user: TelegramUser, origin: Press.Origin) -> Bool {
        if case .chat(let chatID) = origin, roster.configured(chatID)?.operators.contains(where: { $0.userID == user.id }) == true {
            return true
        }
        switch strangers.verdict(for: user.id, now: now()) {
        case .reply: return true
        case .silenceStarts:
            audit("reply_suppressed", actor: user.displayName, alertID: nil, detail: "user \(user.id): no more replies to presses this minute")
            return false
        case .silent: return false
        }
    }

    /// Handles a press from Telegram or from `bothub choose`: the same authorization, audit and dispatch.
    func process(_ press: Press) async {
        if press.origin == .noChat {
            // Nobody is an operator of "no chat"; before this check such a press counted as the hub machine's.
            await press.reply(catalogs.text(.toastNoChat, language: roster.defaultLanguage), true)
            audit("press_refused", by: press, alertID: nil, detail: "press without a chat by user \(press.userID): data=\(press.data ?? "-")")
            return
        }
        let chatID = press.chatID ?? 0
        let language = press.chatID.map { roster.language(of: $0) } ?? roster.defaultLanguage
        let text = { (key: MessageKey, values: [String: String]) in catalogs.text(key, language: language, values) }

        if let data = press.data.flatMap(CallbackData.init), data.choice == .digestBlock || data.choice == .digestShow {
            await handleDigest(press, data: data, language: language)
            return
        }
        let data = press.data.flatMap(CallbackData.init)
        let found: StoredAlert?
        do {
            found = try data.flatMap { try store.alert(shortID: $0.shortID) }
        } catch {
            storeErrors.report(error, operation: "read_alert", context: ["data": "\(press.data ?? "-")"])
            await press.reply(text(.toastStoreFailed, [:]), true)
            return
        }
        guard let data, let stored = found,
            let alert = storeErrors.attempt("decode_alert", context: ["alert": "\(stored.id)"], { try stored.decoded() })
        else {
            await press.reply(text(.toastInvalid, [:]), false)
            audit("press_invalid", by: press, alertID: nil, detail: "data=\(press.data ?? "-") user=\(press.userID)")
            return
        }
        let actionName = Self.action(of: data.choice).map { text(AlertMessageRenderer.key(for: $0), [:]) } ?? text(.actionUnblock, [:])

        switch ChoicePolicy(settings: settings).decide(data.choice, on: stored, alert: alert, role: role(of: press), now: now()) {
        case .refuse(.notOperator):
            await press.reply(text(.toastNotOperator, [:]), true)
            audit("press_refused", by: press, alertID: stored.id, detail: "user \(press.userID) is not an operator of chat \(chatID)")
        case .refuse(.needsAdmin(let requested)):
            await press.reply(text(.toastNeedsAdmin, ["action": actionName]), true)
            audit("press_refused", by: press, alertID: stored.id, detail: "\(requested.rawValue) needs role admin")
        case .refuse(.notForAlerts):
            await press.reply(text(.toastInvalid, [:]), false)
        case .refuse(.notOffered(let requested)):
            await press.reply(text(.toastInvalid, [:]), false)
            audit("press_refused", by: press, alertID: stored.id, detail: "\(requested.rawValue) was not offered")
        case .refuse(.expired):
            await press.reply(text(.toastExpired, [:]), true)
            audit("press_refused", by: press, alertID: stored.id, detail: "button expired")
        case .refuse(.alreadyHandled(let by)):
            await press.reply(text(.toastHandled, ["user": by]), true)
        case .cancel:
            storeErrors.perform("cancel_confirmation", context: ["alert": "\(stored.id)"]) {
                _ = try store.takeConfirmation(alertID: stored.id, choice: "", userID: press.userID, now: now())
            }
            await press.reply(text(.toastCancelled, [:]), false)
            audit("press", by: press, alertID: stored.id, detail: "cancelled a confirmation")
            await refreshMessages(of: stored, alert: alert, extra: nil, keyboard: .offered)
        case .askConfirmation(let action):
            let saved = storeErrors.perform("save_confirmation", context: ["alert": "\(stored.id)"]) {
                try store.saveConfirmation(
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
            audit("confirm_requested", by: press, alertID: stored.id, detail: action.rawValue)
            await showConfirmation(of: stored, alert: alert, action: action, chatID: chatID, language: language)
        case .confirm(let action):
            let confirmation = storeErrors.attempt("take_confirmation", context: ["alert": "\(stored.id)"]) {
                try store.takeConfirmation(alertID: stored.id, choice: action.rawValue, userID: press.userID, now: now())
            }
            guard let confirmation else {
                await press.reply(text(.toastStoreFailed, [:]), true)
                return
            }
            guard confirmation else {
                await press.reply(text(.toastConfirmExpired, [:]), true)
                audit("press_refused", by: press, alertID: stored.id, detail: "confirmation of \(action.rawValue) missing or expired")
                await refreshMessages(of: stored, alert: alert, extra: nil, keyboard: .offered)
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

    /// "Block top 10" and "Show all" on a digest message.
    private func handleDigest(_ press: Press, data: CallbackData, language: String) async {
        let actor = press.name
        let chatID = press.chatID ?? 0
        let found: StoredDigest?
        do {
            found = try store.digest(shortID: data.shortID)
        } catch {
            storeErrors.report(error, operation: "read_digest", context: ["data": "\(press.data ?? "-")"])
            await press.reply(catalogs.text(.toastStoreFailed, language: language), true)
            return
        }
        guard let digest = found, let id = digest.id, digest.chatId == chatID else {
            await press.reply(catalogs.text(.toastInvalid, language: language), false)
            return
        }
        guard let chat = roster.configured(chatID), chat.operators.contains(where: { $0.userID == press.userID }) else {
            await press.reply(catalogs.text(.toastNotOperator, language: language), true)
            audit("press_refused", by: press, alertID: nil, detail: "user \(press.userID) is not an operator of chat \(chatID) (digest \(id))")
            return
        }
        let alerts = (storeErrors.attempt("read_digest_alerts", context: ["digest": "\(id)"]) { try store.digestAlerts(id) } ?? []).compactMap {
            stored in
            storeErrors.attempt("decode_alert", context: ["alert": "\(stored.id)"]) { try stored.decoded() }
        }
        let renderer = DigestRenderer(catalogs: catalogs)
        if data.choice == .digestShow {
            await press.reply(nil, false)
            do {
                _ = try await telegram?.sendMessage(
                    chatID: chatID, html: renderer.renderList(digest, alerts: alerts, language: language), keyboard: [])
            } catch {
                logger.warning("cannot send a digest list", metadata: ["error": "\(error)"])
            }
            return
        }
        guard now().timeIntervalSince(digest.lastAlertAt) <= settings.buttonLifetime else {
            await press.reply(catalogs.text(.toastExpired, language: language), true)
            audit("press_refused", by: press, alertID: nil, detail: "digest \(id) button expired")
            return
        }
        let targets = digest.shownBlockTargets
        guard !targets.isEmpty else {
            await press.reply(catalogs.text(.toastInvalid, language: language), false)
            return
        }
        let claim: AlertClaim
        do {
            claim = try store.claimDigest(id, by: actor, now: now())
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
            audit("press_refused", by: press, alertID: nil, detail: "digest \(id) already handled by \(by)")
            return
        case .unknown:
            await press.reply(catalogs.text(.toastInvalid, language: language), false)
            return
        }
        let actionName = catalogs.text(.buttonDigestBlock, language: language, ["count": String(targets.count)])
        await press.reply(catalogs.text(.toastWorking, language: language, ["action": actionName]), false)
        audit("press", by: press, alertID: nil, detail: "digest \(id) block \(targets.joined(separator: " ")) by user \(press.userID)")
        let requester = Operator(telegramUserId: press.userID, name: actor)
        let blockable = alerts.filter { $0.actions.contains(.blockIP1h) }
        // Exactly the addresses the message listed when it was last shown, not whatever the digest holds by now.
        let commands = targets.compactMap { ip -> (ip: String, source: Alert, command: ResponseCommand)? in
            guard let source = blockable.first(where: { ChoiceHandler.ip(of: $0) == ip }),
                case .success(let command) = Self.command(
                    for: .blockIP1h, alert: source, by: requester, now: now(), lifetime: settings.commandLifetime)
            else { return nil }
            return (ip, source, command)
        }
        // Sent a few at a time: the agent runs its firewall changes one by one anyway, and a slow agent then holds
        // this press for a fraction of the targets' timeouts instead of their sum.
        let succeeded = await withTaskGroup(of: Bool.self) { group in
            var succeeded = 0
            for (index, target) in commands.enumerated() {
                if index >= Self.digestDispatchWidth, await group.next() == true { succeeded += 1 }
                group.addTask {
                    let (ip, source, command) = target
                    audit("command", by: press, alertID: source.id.uuidString, detail: "\(command.id) \(command.action.auditText) → \(source.agent)")
                    let result = await dispatcher.dispatch(command, to: source.agent, now: now())
                    audit(
                        "result", actor: source.agent, alertID: source.id.uuidString, detail: "\(result.commandId) \(Self.describe(result.outcome))")
                    guard result.outcome == .done || result.outcome == .alreadyDone else { return false }
                    storeErrors.perform("record_block", context: ["digest": "\(id)", "ip": "\(ip)"]) {
                        try store.recordBlock(
                            agent: source.agent, ip: ip, until: now().addingTimeInterval(3600), alertID: source.id.uuidString, by: actor, at: now())
                    }
                    return true
                }
            }
            for await result in group where result { succeeded += 1 }
            return succeeded
        }
        let done = succeeded
        let failed = commands.count - succeeded
        let line = catalogs.text(
            .digestBlockOutcome,
            language: language,
            [
                "action": actionName, "user": actor, "time": MessageTime.format(now()),
                "done": catalogs.text(.pluralAddresses, language: language, count: done),
                "failed": catalogs.text(.pluralAddresses, language: language, count: failed),
            ]
        )
        storeErrors.perform("set_digest_outcome", context: ["digest": "\(id)"]) { try store.setDigestOutcome(id, outcome: line) }
        var updated = digest
        updated.outcome = line
        if let messageID = digest.messageId {
            let rendered = renderer.render(updated, alerts: alerts, language: language, now: now())
            await edit(chatID: chatID, messageID: messageID, html: rendered.html, keyboard: rendered.keyboard)
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
            claim = try store.claimAlert(
                id: stored.id, choice: action.rawValue, by: actor, now: chosenAt, staleBefore: chosenAt.addingTimeInterval(-settings.staleClaimAfter))
        } catch {
            storeErrors.report(error, operation: "claim_alert", context: ["alert": "\(stored.id)"])
            await press.reply(notRecordedLine(action, actor: actor, at: chosenAt, language: language), true)
            return
        }
        switch claim {
        case .claimed:
            break
        case .alreadyHandled(let by, _, _):
            await press.reply(catalogs.text(.toastHandled, language: language, ["user": by]), true)
            audit("press_refused", by: press, alertID: stored.id, detail: "already handled by \(by)")
            return
        case .unknown:
            await press.reply(catalogs.text(.toastInvalid, language: language), false)
            return
        }
        audit("press", by: press, alertID: stored.id, detail: "\(action.rawValue) by user \(press.userID)")
        let values = ["action": actionName, "user": actor, "time": MessageTime.format(chosenAt)]
        // Each chat reads the outcome in its own language, not the presser's.
        let valuesIn = { (language: String) in
            ["action": catalogs.text(AlertMessageRenderer.key(for: action), language: language), "user": actor, "time": MessageTime.format(chosenAt)]
        }

        if action.isLocal {
            let key: MessageKey = action == .ignore ? .outcomeIgnored : .outcomeAcknowledged
            let recorded = storeErrors.perform("finish_alert", context: ["alert": "\(stored.id)"]) {
                try store.finishAlert(
                    id: stored.id, outcome: catalogs.text(key, language: roster.defaultLanguage, valuesIn(roster.defaultLanguage)), reopen: false)
            }
            guard recorded else {
                await press.reply(notRecordedLine(action, actor: actor, at: chosenAt, language: language), true)
                await refreshMessages(
                    of: stored, alert: alert, extra: { notRecordedLine(action, actor: actor, at: chosenAt, language: $0) }, keyboard: .offered)
                return
            }
            await press.reply(catalogs.text(key, language: language, values), false)
            logChoice(actor: actor, choice: action.rawValue, stored: stored, outcome: "done")
            await press.finished(.local(catalogs.text(key, language: roster.defaultLanguage, valuesIn(roster.defaultLanguage))))
            await refreshMessages(of: stored, alert: alert, extra: { catalogs.text(key, language: $0, valuesIn($0)) }, keyboard: .none)
            return
        }

        let operatorID = Operator(telegramUserId: press.userID, name: actor)
        let result: ResponseResult
        let built =
            responseAction.map {
                Result<ResponseCommand, CommandError>.success(
                    ResponseCommand(
                        alertId: alert.id, action: $0, requestedBy: operatorID, issuedAt: now(),
                        expiresAt: now().addingTimeInterval(settings.commandLifetime)))
            } ?? Self.command(for: action, alert: alert, by: operatorID, now: now(), lifetime: settings.commandLifetime)
        switch built {
        case .success(let command):
            // Stored before it is sent: a hub killed while the agent works sends this same id again at its next start.
            do {
                try store.recordPendingCommand(alertID: stored.id, command: command)
            } catch {
                storeErrors.report(error, operation: "record_pending_command", context: ["alert": "\(stored.id)"])
                storeErrors.perform("finish_alert", context: ["alert": "\(stored.id)"]) {
                    try store.finishAlert(
                        id: stored.id, outcome: notRecordedLine(action, actor: actor, at: chosenAt, language: roster.defaultLanguage), reopen: true)
                }
                await press.reply(notRecordedLine(action, actor: actor, at: chosenAt, language: language), true)
                await refreshMessages(
                    of: stored, alert: alert, extra: { notRecordedLine(action, actor: actor, at: chosenAt, language: $0) }, keyboard: .offered)
                return
            }
            await press.reply(catalogs.text(.toastWorking, language: language, ["action": actionName]), false)
            await refreshMessages(of: stored, alert: alert, extra: { catalogs.text(.outcomePending, language: $0, valuesIn($0)) }, keyboard: .none)
            audit("command", by: press, alertID: stored.id, detail: "\(command.id) \(command.action.auditText) → \(alert.agent)")
            result = await dispatcher.dispatch(command, to: alert.agent, now: now())
        case .failure(let reason):
            await press.reply(catalogs.text(.toastWorking, language: language, ["action": actionName]), false)
            result = ResponseResult(commandId: UUID(), outcome: .failed(reason: reason.description), finishedAt: now())
        }
        audit("result", actor: alert.agent, alertID: stored.id, detail: "\(result.commandId) \(Self.describe(result.outcome)) \(result.detail ?? "")")
        logChoice(actor: actor, choice: action.rawValue, stored: stored, outcome: Self.describe(result.outcome))
        await press.finished(.dispatched(result))
        await conclude(action, stored: stored, alert: alert, result: result, actor: actor, chosenAt: chosenAt)
    }

    /// Records how a sent choice ended and shows it in every chat: after a press, and after the start-up recovery
    /// sent a command again. When the outcome cannot be recorded the chats are told so, and the buttons stay: the
    /// claim is taken over once it is stale (`ChoiceSettings.staleClaimAfter`), so the alert is never stuck.
    func conclude(_ action: AlertAction, stored: StoredAlert, alert: Alert, result: ResponseResult, actor: String, chosenAt: Date) async {
        let valuesIn = { (language: String) in
            ["action": catalogs.text(AlertMessageRenderer.key(for: action), language: language), "user": actor, "time": MessageTime.format(chosenAt)]
        }
        let line = { (language: String) in outcomeLine(result, values: valuesIn(language), language: language) }
        // A started upgrade is not reopened: its end arrives as `upgrade_finished` and is folded into these messages.
        let succeeded = result.outcome == .done || result.outcome == .alreadyDone || result.outcome == .started
        let recorded = storeErrors.perform("finish_alert", context: ["alert": "\(stored.id)"]) {
            try store.finishAlert(id: stored.id, outcome: line(roster.defaultLanguage), reopen: !succeeded)
        }
        guard recorded else {
            await refreshMessages(
                of: stored, alert: alert, extra: { line($0) + "\n" + notRecordedLine(action, actor: actor, at: chosenAt, language: $0) },
                keyboard: .offered)
            return
        }
        var keyboard = KeyboardChoice.offered
        if succeeded {
            keyboard = .none
            if let duration = action.blockDuration, let ip = Self.ip(of: alert) {
                storeErrors.perform("record_block", context: ["alert": "\(stored.id)", "ip": "\(ip)"]) {
                    try store.recordBlock(
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
        }
        await refreshMessages(of: stored, alert: alert, extra: line, keyboard: keyboard)
    }

    /// "The hub could not record this choice", in `language`.
    func notRecordedLine(_ action: AlertAction, actor: String, at time: Date, language: String) -> String {
        catalogs.text(
            .outcomeNotRecorded, language: language,
            ["action": catalogs.text(AlertMessageRenderer.key(for: action), language: language), "user": actor, "time": MessageTime.format(time)])
    }

    /// One hub log line per choice: who chose what on which alert, and how it ended.
    func logChoice(actor: String, choice: String, stored: StoredAlert, outcome: String) {
        logger.info("\(actor) chose \(choice) on \(stored.agent)/\(stored.shortId) → \(outcome)")
    }

    private func unblock(stored: StoredAlert, alert: Alert, press: Press, actionName: String) async {
        let actor = press.name
        let language = press.chatID.map { roster.language(of: $0) } ?? roster.defaultLanguage
        guard let ip = Self.ip(of: alert) else {
            await press.reply(catalogs.text(.toastInvalid, language: language), false)
            return
        }
        await press.reply(catalogs.text(.toastWorking, language: language, ["action": actionName]), false)
        audit("press", by: press, alertID: stored.id, detail: "unblock \(ip) by user \(press.userID)")
        let command = ResponseCommand(
            alertId: alert.id,
            action: .unblockIP(ip: ip),
            requestedBy: Operator(telegramUserId: press.userID, name: actor),
            issuedAt: now(),
            expiresAt: now().addingTimeInterval(settings.commandLifetime)
        )
        audit("command", by: press, alertID: stored.id, detail: "\(command.id) \(command.action.auditText) → \(alert.agent)")
        let result = await dispatcher.dispatch(command, to: alert.agent, now: now())
        audit("result", actor: alert.agent, alertID: stored.id, detail: "\(result.commandId) \(Self.describe(result.outcome)) \(result.detail ?? "")")
        logChoice(actor: actor, choice: "unblock \(ip)", stored: stored, outcome: Self.describe(result.outcome))
        await press.finished(.dispatched(result))
        let chosenAt = now()
        // Each chat reads the line in its own language; the block's own line is in the audit trail.
        let line = { (language: String) in
            let action = catalogs.text(.actionUnblock, language: language) + " " + ip
            return outcomeLine(result, values: ["action": action, "user": actor, "time": MessageTime.format(chosenAt)], language: language)
        }
        let succeeded = result.outcome == .done || result.outcome == .alreadyDone
        if succeeded {
            storeErrors.perform("remove_block", context: ["agent": "\(alert.agent)", "ip": "\(ip)"]) {
                try store.removeBlock(agent: alert.agent, ip: ip)
            }
        }
        await refreshMessages(of: stored, alert: alert, extra: line, keyboard: succeeded ? .none : .unblock(ip))
    }

    private func outcomeLine(_ result: ResponseResult, values: [String: String], language: String) -> String {
        catalogs.outcomeLine(result, values: values, language: language)
    }

    enum KeyboardChoice {
        case offered, none
        case unblock(String)
    }

    /// Re-renders the alert in every chat it was sent to, with `extra` lines below and the chosen keyboard.
    func refreshMessages(of stored: StoredAlert, alert: Alert, extra: ((String) -> String)?, keyboard: KeyboardChoice) async {
        let sent = storeErrors.attempt("read_sent_messages", context: ["alert": "\(stored.id)"]) { try store.sentMessages(alertID: stored.id) }
        for (chatID, messageID) in sent ?? [] {
            let language = roster.language(of: chatID)
            let rendered = AlertMessageRenderer(catalogs: catalogs).render(alert, shortID: stored.shortId, language: language)
            let html = [rendered.html, extra?(language)].compactMap { $0 }.joined(separator: "\n\n")
            let buttons: [[InlineButton]]
            switch keyboard {
            case .offered: buttons = rendered.keyboard
            case .none: buttons = []
            case .unblock(let ip):
                buttons = [
                    [
                        InlineButton(
                            text: catalogs.text(.buttonUnblock, language: language, ["ip": ip]),
                            callbackData: CallbackData(choice: .unblock, shortID: stored.shortId).text
                        )
                    ]
                ]
            }
            await edit(chatID: chatID, messageID: messageID, html: html, keyboard: buttons)
        }
    }

    private func showConfirmation(of stored: StoredAlert, alert: Alert, action: AlertAction, chatID: Int64, language: String) async {
        guard
            let found = storeErrors.attempt(
                "read_message_id", context: ["alert": "\(stored.id)"], { try store.messageID(alertID: stored.id, chatID: chatID) }),
            let messageID = found
        else { return }
        let rendered = AlertMessageRenderer(catalogs: catalogs).render(alert, shortID: stored.shortId, language: language)
        let keys: (prompt: MessageKey, button: MessageKey) =
            switch action {
            case .shutdown: (.confirmShutdown, .buttonConfirmShutdown)
            case .restartServices: (.confirmRestartServices, .buttonConfirmRestartServices)
            default: (.confirmReboot, .buttonConfirmReboot)
            }
        let prompt = catalogs.text(keys.prompt, language: language, ["host": alert.hostname, "seconds": String(Int(settings.confirmationWindow))])
        let keyboard = [
            [
                InlineButton(
                    text: catalogs.text(keys.button, language: language),
                    callbackData: CallbackData(choice: .confirm(action), shortID: stored.shortId).text
                ),
                InlineButton(
                    text: catalogs.text(.buttonCancel, language: language), callbackData: CallbackData(choice: .cancel, shortID: stored.shortId).text),
            ]
        ]
        await edit(chatID: chatID, messageID: messageID, html: rendered.html + "\n\n" + prompt, keyboard: keyboard)
    }

    func edit(chatID: Int64, messageID: Int64, html: String, keyboard: [[InlineButton]]) async {
        guard let telegram else { return }
        do {
            try await telegram.editMessageText(chatID: chatID, messageID: messageID, html: html, keyboard: keyboard)
        } catch {
            logger.warning("cannot edit alert message", metadata: ["chat": "\(chatID)", "error": "\(error)"])
        }
    }

    /// An entry for what `press` did, naming the presser and their Telegram id (none for a press on the hub machine).
    func audit(_ event: String, by press: Press, alertID: String?, detail: String) {
        audit(event, actor: press.name, actorID: press.origin == .hubMachine ? nil : press.userID, alertID: alertID, detail: detail)
    }

    func audit(_ event: String, actor: String?, actorID: Int64? = nil, alertID: String?, detail: String) {
        do {
            try store.audit(event, actor: actor, actorID: actorID, alertID: alertID, detail: detail, at: now())
        } catch {
            logger.error("cannot write audit entry", metadata: ["event": "\(event)", "error": "\(error)"])
        }
    }

    /// How many of a digest's block commands are in flight at once.
    static let digestDispatchWidth = 4

    static func action(of choice: CallbackData.Choice) -> AlertAction? {
        switch choice {
        case .action(let action), .confirm(let action): action
        case .upgrade, .confirmUpgrade: .upgradePackages
        case .cancel, .unblock, .digestBlock, .digestShow, .showAll, .snooze: nil
        }
    }

    /// The address an alert is about, if any.
    static func ip(of alert: Alert) -> String? {
        switch alert.subject {
        case .sshSession(let session): session.ip
        case .sshBruteForce(let attack): attack.ip
        case .http404(let burst): burst.ip
        case .cpu, .agent, .listener, .securityUpdates, .upgradeFinished, .restartNeeded: nil
        }
    }

    struct CommandError: Error, CustomStringConvertible {
        let description: String
    }

    /// The command for `action`, built only from the stored alert: nothing from the button or the chat.
    static func command(
        for action: AlertAction,
        alert: Alert,
        by requester: Operator,
        now: Date,
        lifetime: TimeInterval
    ) -> Result<ResponseCommand, CommandError> {
        let responseAction: ResponseAction
        switch action {
        case .blockIP1h, .blockIP24h, .blockIPPermanent:
            guard let ip = ip(of: alert), let duration = action.blockDuration else {
                return .failure(CommandError(description: "this alert has no address to block"))
            }
            responseAction = .blockIP(ip: ip, durationSeconds: duration.map { Int($0.components.seconds) })
        case .killSession:
            guard case .sshSession(let session) = alert.subject, let startTime = session.pidStartTime else {
                return .failure(CommandError(description: "the session's start time was not recorded, so it cannot be killed safely"))
            }
            responseAction = .killSession(pid: session.pid, startTime: startTime)
        case .reboot: responseAction = .reboot
        case .shutdown: responseAction = .shutdown
        case .restartServices:
            guard case .restartNeeded(let restart) = alert.subject, !restart.units.isEmpty else {
                return .failure(CommandError(description: "this alert names no service to restart"))
            }
            responseAction = .restartServices(units: restart.units)
        case .upgradePackages:
            // Only from a confirmed simulation, whose plan hash the command must carry (ChoiceHandler+Upgrade).
            return .failure(CommandError(description: "an upgrade needs a confirmed plan"))
        case .acknowledge, .ignore:
            return .failure(CommandError(description: "\(action.rawValue) needs no command"))
        }
        return .success(
            ResponseCommand(
                alertId: alert.id, action: responseAction, requestedBy: requester, issuedAt: now, expiresAt: now.addingTimeInterval(lifetime))
        )
    }

    static func describe(_ outcome: ResponseResult.Outcome) -> String {
        switch outcome {
        case .done, .alreadyDone, .started: outcome.name
        case .refused(let reason), .failed(let reason): "\(outcome.name): \(reason)"
        }
    }
}

/// One choice being made: who, where, which button, and how to answer them at once.
struct Press: Sendable {
    var userID: Int64
    var name: String
    /// Where the press came from.
    var origin: Origin
    /// The chat the button was pressed in, if any.
    var chatID: Int64? {
        if case .chat(let id) = origin { return id }
        return nil
    }
    /// The button's `callback_data` (or the same form built by `bothub choose`).
    var data: String?
    /// Answers the presser at once: a toast in Telegram (the flag makes it a dialog), a line on the terminal.
    var reply: @Sendable (String?, Bool) async -> Void
    /// Told how the choice ended (`bothub choose` prints it and sets its exit status from it).
    var finished: @Sendable (PressEnd) async -> Void = { _ in }

    enum Origin: Sendable, Equatable {
        /// A button in a Telegram chat: authorized by that chat's operators.
        case chat(Int64)
        /// A Telegram press that names no chat (a button on an inline message): nobody is authorized for it.
        case noChat
        /// `bothub choose` on the hub machine: local and trusted, an admin's press.
        case hubMachine
    }
}

/// How a press that passed every check ended.
enum PressEnd: Sendable, Equatable {
    /// A reboot or shutdown now waits for its confirmation.
    case confirmationRequested
    /// Acknowledge or ignore: recorded on the hub, nothing sent (the line says so in the hub's language).
    case local(String)
    /// The agent's answer to the command just sent (or why it could not be sent).
    case dispatched(ResponseResult)
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

/// Timing rules for choices.
struct ChoiceSettings: Sendable {
    /// Buttons older than this are refused (default 24 h).
    var buttonLifetime: TimeInterval = 86_400
    /// A reboot or shutdown must be confirmed within this (default 60 s).
    var confirmationWindow: TimeInterval = 60
    /// The agent refuses a command older than this (default 2 min).
    var commandLifetime: TimeInterval = 120
    /// A claim older than this is taken over by the next press: its command has expired at the agent, and a dispatch
    /// (at most two keys × the 15 s timeout) has ended, so nothing of the old choice can still run.
    var staleClaimAfter: TimeInterval { commandLifetime + 60 }
}

extension MessageCatalogs {
    /// The line that reports what an agent did with a command: outcome, reason, who and when, and the agent's detail.
    func outcomeLine(_ result: ResponseResult, values: [String: String], language: String) -> String {
        var values = values
        let key: MessageKey
        switch result.outcome {
        case .done: key = .outcomeDone
        case .alreadyDone: key = .outcomeAlreadyDone
        case .started: key = .outcomeStarted
        case .refused(let reason):
            key = .outcomeRefused
            values["reason"] = reason
        case .failed(let reason):
            key = .outcomeFailed
            values["reason"] = reason
        }
        var line = text(key, language: language, values)
        if let detail = result.detail, !detail.isEmpty {
            line += "\n" + text(.outcomeDetail, language: language, ["detail": detail])
        }
        return line
    }
}
