import Foundation

/// The Bot API methods, with Telegram's checks in Telegram's order and its error texts.
extension FakeTelegramServer {
    /// `getMe`: the bot's `User`.
    var botUser: TelegramJSON {
        .object([
            "id": .integer(configuration.botID), "is_bot": true, "first_name": .string(configuration.botFirstName),
            "username": .string(configuration.botUsername), "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": false,
        ])
    }

    func deleteWebhook(_ parameters: [String: TelegramJSON]) -> TelegramJSON {
        hasWebhook = false
        if parameters["drop_pending_updates"]?.boolValue == true { updates.removeAll() }
        return true
    }

    func sendMessage(_ parameters: [String: TelegramJSON]) throws(FakeTelegramFailure) -> TelegramJSON {
        var chat = try writableChat(parameters["chat_id"])
        if chat.isBlocked {
            throw chat.kind == .private ? .botBlocked : FakeTelegramFailure(status: 403, description: "Forbidden: bot was kicked from the group chat")
        }
        let content = try formattedText(parameters)
        let keyboard = try inlineKeyboard(parameters["reply_markup"])
        let time = now()
        if enforcesRateLimits, let wait = rateLimiter.retryAfter(chatID: chat.id, now: time) {
            throw .tooManyRequests(retryAfter: wait)
        }
        rateLimiter.record(chatID: chat.id, at: time)
        let message = FakeTelegramMessage(
            chatID: chat.id, messageID: chat.nextMessageID(), senderID: configuration.botID, isFromBot: true, date: Self.unixTime(time),
            content: content, source: parameters["text"]?.stringValue ?? "", parseMode: parameters["parse_mode"]?.stringValue,
            keyboard: keyboard, editCount: 0
        )
        chat.messages.append(message)
        chats[chat.id] = chat
        return messageJSON(message)
    }

    /// `sendDocument` with an uploaded file: kept in `documents`, answered with a message carrying it.
    func sendDocument(_ parameters: [String: TelegramJSON]) throws(FakeTelegramFailure) -> TelegramJSON {
        let chat = try writableChat(parameters["chat_id"])
        guard let content = parameters["document"]?.stringValue else { throw .badRequest("document is empty") }
        let fileName = parameters["document.filename"]?.stringValue
        documents.append(FakeTelegramDocument(chatID: chat.id, fileName: fileName, content: content, caption: parameters["caption"]?.stringValue))
        return .object([
            "message_id": .integer(Int64(1_000_000 + documents.count)), "date": .integer(Self.unixTime(now())),
            "chat": .object(["id": .integer(chat.id), "type": .string(chat.kind == .private ? "private" : "supergroup")]),
            "document": .object([
                "file_id": .string("doc\(documents.count)"), "file_unique_id": .string("u\(documents.count)"), "file_name": .string(fileName ?? ""),
            ]),
        ])
    }

    func editMessageText(_ parameters: [String: TelegramJSON]) throws(FakeTelegramFailure) -> TelegramJSON {
        if parameters["inline_message_id"] != nil { throw .badRequest("MESSAGE_ID_INVALID") }  // The fake sends no inline messages.
        for name in ["chat_id", "message_id"] where parameters[name] == nil {
            // Required whenever inline_message_id is absent, which the spec can only say in prose.
            recordViolations(["required parameter \"\(name)\" is missing (no inline_message_id)"], method: "editMessageText")
            throw .badRequest("\(name) is empty")
        }
        if parameters["rich_message"] != nil { throw .badRequest("rich messages are not emulated by the fake") }
        var chat = try writableChat(parameters["chat_id"])
        guard let messageID = parameters["message_id"]?.int64Value, let index = chat.index(of: messageID) else {
            throw .messageToEditNotFound
        }
        guard chat.messages[index].isFromBot else { throw .badRequest("message can't be edited") }
        let content = try formattedText(parameters)
        // Without reply_markup the edited message loses its keyboard, as in Telegram.
        let keyboard = try inlineKeyboard(parameters["reply_markup"])
        var message = chat.messages[index]
        if message.content == content && message.keyboard == keyboard { throw .messageNotModified }
        message.content = content
        message.source = parameters["text"]?.stringValue ?? ""
        message.parseMode = parameters["parse_mode"]?.stringValue
        message.keyboard = keyboard
        message.editDate = Self.unixTime(now())
        message.editCount += 1
        chat.messages[index] = message
        chats[chat.id] = chat
        return messageJSON(message)
    }

    func answerCallbackQuery(_ parameters: [String: TelegramJSON]) throws(FakeTelegramFailure) -> TelegramJSON {
        let time = now()
        guard let id = parameters["callback_query_id"]?.stringValue, var query = callbackQueries[id], !query.isAnswered,
            time.timeIntervalSince(query.createdAt) <= Self.seconds(configuration.callbackQueryLifetime)
        else { throw .queryTooOld }
        let text = parameters["text"]?.stringValue
        if let text, text.utf16.count > 200 { throw .badRequest("MESSAGE_TOO_LONG") }
        query.isAnswered = true
        callbackQueries[id] = query
        answeredCallbacks.append(
            FakeTelegramCallbackAnswer(queryID: id, text: text, showAlert: parameters["show_alert"]?.boolValue ?? false, time: time))
        return true
    }

    /// The chat `chat_id` names (an integer, or its decimal string) if the bot can write there.
    private func writableChat(_ value: TelegramJSON?) throws(FakeTelegramFailure) -> FakeTelegramChat {
        let id: Int64? =
            switch value {
            case .integer(let id): id
            case .string(let text): Int64(text)  // "@username" names no chat the fake knows.
            default: nil
            }
        guard let id, let chat = chats[id] else { throw .chatNotFound }
        if let target = chat.migratedTo { throw .migrated(to: target) }
        return chat
    }

    /// `text` read in its parse mode, trimmed, 1–4096 UTF-16 units.
    private func formattedText(_ parameters: [String: TelegramJSON]) throws(FakeTelegramFailure) -> TelegramFormattedText {
        guard let source = parameters["text"]?.stringValue else { throw .badRequest("message text is empty") }
        let parsed: TelegramFormattedText
        switch parameters["parse_mode"]?.stringValue?.lowercased() {
        case nil, "":
            let entities = (parameters["entities"]?.arrayValue ?? []).compactMap(TelegramFormattedText.Entity.init(json:))
            parsed = TelegramFormattedText(text: source, entities: entities)
        case "html":
            do {
                parsed = try TelegramHTMLParser(strictness: configuration.htmlStrictness).parse(source)
            } catch {
                throw .badRequest("can't parse entities: \(error.message)")
            }
        case "markdown", "markdownv2":
            parsed = TelegramFormattedText(text: source, entities: [])  // Stored as sent: the fake does not parse Markdown.
        default:
            throw .badRequest("unsupported parse_mode")
        }
        let text = parsed.trimmed()
        if text.text.isEmpty { throw .badRequest("message text is empty") }
        if text.text.utf16.count > 4096 { throw .badRequest("message is too long") }
        return text
    }

    /// The inline keyboard of `reply_markup` (other markups show no buttons on the message).
    private func inlineKeyboard(_ markup: TelegramJSON?) throws(FakeTelegramFailure) -> [[FakeTelegramButton]] {
        guard let rows = markup?["inline_keyboard"]?.arrayValue else { return [] }
        var keyboard: [[FakeTelegramButton]] = []
        for row in rows {
            let buttons = (row.arrayValue ?? []).map(FakeTelegramButton.init(json:))
            for button in buttons {
                if !FakeTelegramButton.actionFields.contains(where: { button.json[$0] != nil }) {
                    throw .badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
                }
                if let data = button.callbackData, !(1...64).contains(data.utf8.count) { throw .buttonDataInvalid }
            }
            if !buttons.isEmpty { keyboard.append(buttons) }
        }
        return keyboard
    }

    /// The `Message` object for `message` as the chat shows it now.
    func messageJSON(_ message: FakeTelegramMessage) -> TelegramJSON {
        let sender: TelegramJSON =
            message.isFromBot
            ? .object([
                "id": .integer(configuration.botID), "is_bot": true, "first_name": .string(configuration.botFirstName),
                "username": .string(configuration.botUsername),
            ])
            : user(message.senderID).json
        return message.json(from: sender, chat: chatJSON(message.chatID))
    }

    /// The `Chat` object: a private chat is named after its user, a group has a title.
    func chatJSON(_ id: Int64) -> TelegramJSON {
        let chat = chats[id] ?? FakeTelegramChat(id: id)
        var fields: [String: TelegramJSON] = ["id": .integer(id), "type": .string(chat.kind.rawValue)]
        if chat.kind == .private {
            let person = user(id)
            fields["first_name"] = .string(person.firstName)
            if let lastName = person.lastName { fields["last_name"] = .string(lastName) }
            if let username = person.username { fields["username"] = .string(username) }
        } else {
            fields["title"] = .string(chat.title)
        }
        return .object(fields)
    }

    func user(_ id: Int64) -> FakeTelegramUser {
        users[id] ?? .placeholder(id: id)
    }

    static func unixTime(_ date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970.rounded(.down))
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
