import Foundation
import Logging
import Shared

/// Answers chat commands. `/start` and `/help` work anywhere (so a new user can learn the chat and user ids);
/// everything else needs an operator of a configured chat.
struct ChatCommandHandler: Sendable {
    let store: HubStore
    let catalogs: MessageCatalogs
    let telegram: any TelegramAPI
    let roster: ChatRoster
    let agents: AgentDirectory
    let dispatcher: ResponseDispatcher
    let settings: ChoiceSettings
    let logger: Logger
    let now: @Sendable () -> Date
    /// The longest `/mute` (`telegram.max_mute`).
    var maxMute: TimeInterval = 86_400
    /// Shared with the button handler, so a stranger's commands and presses count against one budget.
    var strangers = StrangerReplyLimiter()
    /// Where `/metrics` counts store errors.
    var metrics: MetricsRegistry?

    private var storeErrors: StoreErrorReporter { StoreErrorReporter(logger: logger, metrics: metrics) }

    func handle(_ message: TelegramMessage) async {
        guard let text = message.text, text.hasPrefix("/"), let user = message.from else { return }
        let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        // `/status@vigil_bot` in groups names the bot; the command is the part before '@'.
        let command = words[0].split(separator: "@").first.map(String.init) ?? words[0]
        let arguments = Array(words.dropFirst())
        let chatID = message.chat.id
        let chat = roster.configured(chatID)
        let person = chat?.operators.first { $0.userID == user.id }
        let language = roster.language(of: chatID)
        let say = { (key: MessageKey, values: [String: String]) in catalogs.text(key, language: language, values) }
        await storeErrors.perform("audit", context: ["chat": "\(chatID)"]) {
            try await store.audit(
                "command", actor: user.displayName, actorID: user.id, alertID: nil, detail: "\(command) in chat \(chatID) by user \(user.id)",
                at: now())
        }

        // Only operators are answered without limit; anyone else gets a few replies a minute.
        if person == nil, !mayAnswerStranger(user, chatID: chatID) { return }

        let reply: String
        switch command {
        case "/start":
            // A message from the chat proves the bot is no longer blocked there.
            await storeErrors.perform("set_chat_blocked", context: ["chat": "\(chatID)"]) { try await store.setChatBlocked(chatID, false) }
            let ids = ["chat": String(chatID), "user": String(user.id)]
            if let person {
                reply = say(.commandStartOperator, ids.merging(["role": person.role.rawValue]) { $1 })
            } else {
                reply = say(chat == nil ? .commandStartUnknown : .commandStartMember, ids)
            }
        case _ where person == nil:
            // Unauthorized chats and people get /start only.
            reply = say(.commandNotOperator, [:])
        case "/help":
            reply = say(.commandHelp, [:])
        case "/status":
            reply = status(language: language, say)
        case "/vulns":
            await sendVulnerabilities(chatID: chatID, language: language)
            return
        case "/blocks":
            await sendBlocks(chatID: chatID, language: language, say: say)
            return
        case "/unblock":
            reply = await unblock(arguments, user: user, language: language, say: say)
        case "/mute":
            reply = person.map { mute(arguments, chatID: chatID, by: $0, user: user, say: say) } ?? say(.commandNotOperator, [:])
        case "/unmute":
            reply = unmute(arguments.first, chatID: chatID, user: user, say: say)
        case "/lang":
            reply = changeLanguage(arguments.first, chatID: chatID, say: say)
        default:
            reply = say(.commandUnknown, [:])
        }
        await send(chatID: chatID, html: reply)
    }

    /// The command paths shared with the hub's terminal.
    var operations: OperatorCommands {
        OperatorCommands(store: store, agents: agents, dispatcher: dispatcher, settings: settings, logger: logger, now: now, maxMute: maxMute)
    }

    private func status(language: String, _ say: (MessageKey, [String: String]) -> String) -> String {
        guard !agents.ids.isEmpty else { return say(.commandStatusNone, [:]) }
        let heartbeats = storeErrors.attempt("read_heartbeats") { try store.lastHeartbeats() } ?? [:]
        let open = storeErrors.attempt("read_open_alert_counts") { try store.openAlertCounts() } ?? [:]
        let lines = agents.ids.map { agent in
            let seen =
                heartbeats[agent].map { MessageTime.ago($0, now: now(), catalogs: catalogs, language: language) } ?? say(.commandStatusNever, [:])
            let count = catalogs.text(.pluralOpenAlerts, language: language, count: open[agent] ?? 0)
            return say(.commandStatusAgent, ["agent": agent, "seen": seen, "open": count])
        }
        return ([say(.commandStatusHeader, [:])] + lines + vulnerabilityFeedLines(language: language)).joined(separator: "\n")
    }

    /// Asks every agent for its live block list (the kernel's truth, with time left); an agent that cannot be
    /// reached is named, and what the hub recorded for it is shown instead.
    private func sendBlocks(chatID: Int64, language: String, say: (MessageKey, [String: String]) -> String) async {
        let recorded = storeErrors.attempt("read_active_blocks") { try store.activeBlocks(now: now()) } ?? []
        var lines: [String] = []
        var buttons: [[InlineButton]] = []
        for agent in agents.ids {
            var entries: [(ip: String, left: String)]
            switch await dispatcher.blocks(of: agent, now: now()) {
            case .success(let list):
                entries = list.entries.map { ($0.ip, $0.secondsLeft.map { MessageTime.span(TimeInterval($0)) } ?? say(.commandBlocksPermanent, [:])) }
            case .failure(let error):
                lines.append(say(.commandBlocksUnreachable, ["agent": agent, "reason": error.description]))
                entries = recorded.filter { $0.agent == agent }.map { block in
                    (block.ip, block.until.map { MessageTime.span($0.timeIntervalSince(now())) } ?? say(.commandBlocksPermanent, [:]))
                }
            }
            for entry in entries {
                lines.append(say(.commandBlocksEntry, ["agent": agent, "ip": entry.ip, "left": entry.left]))
                // An Unblock button needs the alert the block came from; chat-made blocks are lifted with /unblock.
                if let block = recorded.first(where: { $0.agent == agent && $0.ip == entry.ip }), let alertID = block.alertID,
                    let stored = await storeErrors.attempt("read_alert", context: ["alert": "\(alertID)"], { try await store.alert(id: alertID) })
                        ?? nil
                {
                    buttons.append([
                        InlineButton(
                            text: say(.buttonUnblock, ["ip": entry.ip]), callbackData: CallbackData(choice: .unblock, shortID: stored.shortId).text)
                    ])
                }
            }
        }
        guard !lines.isEmpty else {
            await send(chatID: chatID, html: say(.commandBlocksNone, [:]))
            return
        }
        await send(chatID: chatID, html: ([say(.commandBlocksHeader, [:])] + lines).joined(separator: "\n"), keyboard: buttons)
    }

    private func unblock(_ arguments: [String], user: TelegramUser, language: String, say: (MessageKey, [String: String]) -> String) async -> String {
        // One address, or an IPv6 prefix as the agent lists it in /blocks.
        guard arguments.count == 2, let ip = OperatorCommands.unblockTarget(arguments[1]) else { return say(.commandUnblockUsage, [:]) }
        let agent = arguments[0]
        switch await operations.unblock(agent: agent, ip: ip, by: Operator(telegramUserId: user.id, name: user.displayName)) {
        case .failure:
            return say(.commandUnknownAgent, ["agent": agent])
        case .success(let result):
            let values = ["action": say(.actionUnblock, [:]) + " " + ip, "user": user.displayName, "time": MessageTime.format(now())]
            return catalogs.outcomeLine(result, values: values, language: language)
        }
    }

    /// Mutes an agent or a kind in this chat only, for at most `telegram.max_mute`; critical alerts stay visible unless
    /// an admin adds `critical`.
    private func mute(
        _ arguments: [String], chatID: Int64, by person: TelegramConfiguration.Operator, user: TelegramUser,
        say: (MessageKey, [String: String]) -> String
    ) -> String {
        let includesCritical = arguments.count == 3 && arguments[2] == "critical"
        guard arguments.count == 2 || includesCritical, let requested = DurationText.parse(arguments[1]), requested > .zero else {
            return say(.commandMuteUsage, [:])
        }
        let made: Result<OperatorCommands.MuteMade, OperatorCommands.Refusal>
        do {
            made = try operations.mute(
                arguments[0], for: requested, inChat: chatID, includesCritical: includesCritical,
                by: Operator(telegramUserId: user.id, name: user.displayName), role: person.role)
        } catch {
            logger.error("cannot save a mute", metadata: ["chat": "\(chatID)", "error": "\(error)"])
            return say(.commandFailed, ["reason": "\(error)"])
        }
        switch made {
        case .failure(.criticalMuteNeedsAdmin):
            return say(.commandMuteCriticalNeedsAdmin, [:])
        case .failure:
            return say(.commandMuteUsage, [:])
        case .success(let made):
            let until = MessageTime.format(made.mute.until)
            var reply = say(includesCritical ? .commandMutedCritical : .commandMuted, ["target": made.mute.target, "until": until])
            if made.capped {
                reply += "\n" + say(.commandMuteCapped, ["max": DurationText.format(.seconds(Int64(maxMute)))])
            }
            return reply
        }
    }

    private func unmute(_ target: String?, chatID: Int64, user: TelegramUser, say: (MessageKey, [String: String]) -> String) -> String {
        guard let target else { return say(.commandMuteUsage, [:]) }
        do {
            let requester = Operator(telegramUserId: user.id, name: user.displayName)
            guard try operations.unmute(target, inChat: chatID, by: requester) else { return say(.commandNotMuted, ["target": target]) }
        } catch {
            logger.error("cannot lift a mute", metadata: ["chat": "\(chatID)", "error": "\(error)"])
            return say(.commandFailed, ["reason": "\(error)"])
        }
        return say(.commandUnmuted, ["target": target])
    }

    /// Counts a reply to someone who is not an operator here; the first one refused in a minute is audited.
    private func mayAnswerStranger(_ user: TelegramUser, chatID: Int64) -> Bool {
        switch strangers.verdict(for: user.id, now: now()) {
        case .reply: return true
        case .silenceStarts:
            audit("reply_suppressed", actor: user.displayName, detail: "user \(user.id) in chat \(chatID): no more replies this minute")
            return false
        case .silent: return false
        }
    }

    private func audit(_ event: String, actor: String?, detail: String) {
        do {
            try store.audit(event, actor: actor, alertID: nil, detail: detail, at: now())
        } catch {
            logger.error("cannot write audit entry", metadata: ["event": "\(event)", "error": "\(error)"])
        }
    }

    private func changeLanguage(_ code: String?, chatID: Int64, say: (MessageKey, [String: String]) -> String) -> String {
        guard let code, catalogs.languages.contains(code) else {
            return say(.commandLanguageUnknown, ["language": code ?? "", "languages": catalogs.languages.joined(separator: ", ")])
        }
        do {
            try store.setChatLanguage(chatID, language: code)
        } catch {
            storeErrors.report(error, operation: "set_chat_language", context: ["chat": "\(chatID)"])
            return say(.commandFailed, ["reason": "the hub's database failed; see its log"])
        }
        return catalogs.text(.commandLanguageChanged, language: code, ["language": code])
    }

    func send(chatID: Int64, html: String, keyboard: [[InlineButton]] = []) async {
        do {
            _ = try await telegram.sendMessage(chatID: chatID, html: html, keyboard: keyboard)
        } catch {
            logger.warning("cannot answer command", metadata: ["chat": "\(chatID)", "error": "\(error)"])
        }
    }
}
