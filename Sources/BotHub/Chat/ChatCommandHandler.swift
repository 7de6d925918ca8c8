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
        try? store.audit("command", actor: user.displayName, alertID: nil, detail: "\(command) in chat \(chatID) by user \(user.id)", at: now())

        // Only operators are answered without limit; anyone else gets a few replies a minute.
        if person == nil, !mayAnswerStranger(user, chatID: chatID) { return }

        let reply: String
        switch command {
        case "/start":
            // A message from the chat proves the bot is no longer blocked there.
            try? store.setChatBlocked(chatID, false)
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
            reply = status(say)
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

    private func status(_ say: (MessageKey, [String: String]) -> String) -> String {
        guard !agents.ids.isEmpty else { return say(.commandStatusNone, [:]) }
        let heartbeats = (try? store.lastHeartbeats()) ?? [:]
        let open = (try? store.openAlertCounts()) ?? [:]
        let lines = agents.ids.map { agent in
            let seen = heartbeats[agent].map { MessageTime.format($0) } ?? say(.commandStatusNever, [:])
            return say(.commandStatusAgent, ["agent": agent, "seen": seen, "open": String(open[agent] ?? 0)])
        }
        return ([say(.commandStatusHeader, [:])] + lines).joined(separator: "\n")
    }

    /// Asks every agent for its live block list (the kernel's truth, with time left); an agent that cannot be
    /// reached is named, and what the hub recorded for it is shown instead.
    private func sendBlocks(chatID: Int64, language: String, say: (MessageKey, [String: String]) -> String) async {
        let recorded = (try? store.activeBlocks(now: now())) ?? []
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
                    let stored = try? store.alert(id: alertID)
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
        // One address, or an IPv6 prefix as the agent lists it in /blocks (the agent checks it again, strictly).
        let prefix = arguments.count == 2 ? IPNetwork(arguments[1]).flatMap { $0.address.isIPv4 ? nil : $0.description } : nil
        guard let ip = arguments.count == 2 ? IPAddress(arguments[1])?.description ?? prefix : nil else { return say(.commandUnblockUsage, [:]) }
        let agent = arguments[0]
        guard agents.entry(for: agent) != nil else { return say(.commandUnknownAgent, ["agent": agent]) }
        let command = ResponseCommand(
            alertId: nil,
            action: .unblockIP(ip: ip.description),
            requestedBy: Operator(telegramUserId: user.id, name: user.displayName),
            issuedAt: now(),
            expiresAt: now().addingTimeInterval(settings.commandLifetime)
        )
        try? store.audit("command", actor: user.displayName, alertID: nil, detail: "\(command.id) unblock_ip \(ip) → \(agent)", at: now())
        let result = await dispatcher.dispatch(command, to: agent, now: now())
        try? store.audit("result", actor: agent, alertID: nil, detail: "\(result.commandId) \(ChoiceHandler.describe(result.outcome))", at: now())
        let values = ["action": say(.actionUnblock, [:]) + " " + ip.description, "user": user.displayName, "time": MessageTime.format(now())]
        if result.outcome == .done || result.outcome == .alreadyDone { try? store.removeBlock(agent: agent, ip: ip.description) }
        return catalogs.outcomeLine(result, values: values, language: language)
    }

    /// Mutes an agent or a kind in this chat only, for at most `maxMute`; critical alerts stay visible unless an admin
    /// adds `critical`.
    private func mute(
        _ arguments: [String], chatID: Int64, by person: TelegramConfiguration.Operator, user: TelegramUser,
        say: (MessageKey, [String: String]) -> String
    ) -> String {
        let includesCritical = arguments.count == 3 && arguments[2] == "critical"
        guard arguments.count == 2 || includesCritical, let requested = DurationText.parse(arguments[1]), requested > .zero,
            agents.entry(for: arguments[0]) != nil || AlertKind(rawValue: arguments[0]) != nil
        else { return say(.commandMuteUsage, [:]) }
        if includesCritical, person.role != .admin { return say(.commandMuteCriticalNeedsAdmin, [:]) }
        let asked = TimeInterval(requested.components.seconds)
        let until = now().addingTimeInterval(min(asked, maxMute))
        let mute = ChatMute(chatId: chatID, target: arguments[0], until: until, includesCritical: includesCritical, mutedBy: user.displayName)
        do {
            try store.mute(mute)
        } catch {
            logger.error("cannot save a mute", metadata: ["chat": "\(chatID)", "error": "\(error)"])
            return say(.commandFailed, ["reason": "\(error)"])
        }
        audit(
            "mute", actor: user.displayName,
            detail: "\(mute.target) in chat \(chatID) until \(MessageTime.format(until))\(includesCritical ? ", critical included" : "")")
        var reply = say(includesCritical ? .commandMutedCritical : .commandMuted, ["target": mute.target, "until": MessageTime.format(until)])
        if asked > maxMute {
            reply += "\n" + say(.commandMuteCapped, ["max": DurationText.format(.seconds(Int64(maxMute)))])
        }
        return reply
    }

    private func unmute(_ target: String?, chatID: Int64, user: TelegramUser, say: (MessageKey, [String: String]) -> String) -> String {
        guard let target else { return say(.commandMuteUsage, [:]) }
        do {
            guard try store.unmute(target, in: chatID) else { return say(.commandNotMuted, ["target": target]) }
        } catch {
            logger.error("cannot lift a mute", metadata: ["chat": "\(chatID)", "error": "\(error)"])
            return say(.commandFailed, ["reason": "\(error)"])
        }
        audit("unmute", actor: user.displayName, detail: "\(target) in chat \(chatID)")
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
        try? store.setChatLanguage(chatID, language: code)
        return catalogs.text(.commandLanguageChanged, language: code, ["language": code])
    }

    private func send(chatID: Int64, html: String, keyboard: [[InlineButton]] = []) async {
        do {
            _ = try await telegram.sendMessage(chatID: chatID, html: html, keyboard: keyboard)
        } catch {
            logger.warning("cannot answer command", metadata: ["chat": "\(chatID)", "error": "\(error)"])
        }
    }
}
