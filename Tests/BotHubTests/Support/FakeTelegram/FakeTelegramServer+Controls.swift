import Foundation
import VigilTestSupport

/// What tests do to the fake: act as the people in the chats, read the chats, inject faults, move the clock.
extension FakeTelegramServer {
    // MARK: People

    /// Makes `id` a chat the bot is in (kind from the id's sign unless given).
    func addChat(_ id: Int64, kind: FakeTelegramChat.Kind? = nil, title: String? = nil) {
        chats[id] = FakeTelegramChat(id: id, kind: kind, title: title)
    }

    /// Gives a user a name (and language) for the updates they cause.
    func addUser(_ user: FakeTelegramUser) {
        users[user.id] = user
    }

    /// `userID` writes `text` in the chat: a `message` update, with a `bot_command` entity for `/start` and the like.
    /// Returns the new message's id.
    @discardableResult
    func sendText(chatID: Int64, userID: Int64, text: String) throws(FakeTelegramControlError) -> Int64 {
        guard var chat = chats[chatID] else { throw FakeTelegramControlError(description: "chat \(chatID) is unknown to the fake; add it first") }
        if chat.kind == .private && userID != chatID {
            throw FakeTelegramControlError(description: "only user \(chatID) can write in private chat \(chatID)")
        }
        let message = FakeTelegramMessage(
            chatID: chatID, messageID: chat.nextMessageID(), senderID: userID, isFromBot: false, date: Self.unixTime(now()),
            content: TelegramFormattedText(text: text, entities: Self.commandEntities(text)), source: text, parseMode: nil, keyboard: [],
            editCount: 0
        )
        chat.messages.append(message)
        chats[chatID] = chat
        enqueue(kind: "message", payload: messageJSON(message))
        return message.messageID
    }

    /// `userID` presses the button with `data` on a message: a `callback_query` update carrying the message as the
    /// chat shows it. Throws if no such button is shown now, because nobody could press it. Returns the query id.
    @discardableResult
    func pressButton(chatID: Int64, messageID: Int64, userID: Int64, data: String) throws(FakeTelegramControlError) -> String {
        let message = try shownMessage(chatID: chatID, messageID: messageID)
        guard message.keyboard.joined().contains(where: { $0.callbackData == data }) else {
            throw FakeTelegramControlError(
                description: "message \(messageID) in chat \(chatID) has no button with callback_data \"\(data)\"; it shows \(message.callbackData)")
        }
        if chats[chatID]?.kind == .private && userID != chatID {
            throw FakeTelegramControlError(description: "only user \(chatID) can press buttons in private chat \(chatID)")
        }
        lastCallbackQueryNumber += 1
        let id = String(4_000_000_000_000_000_000 + lastCallbackQueryNumber)
        callbackQueries[id] = FakeTelegramCallbackQuery(id: id, chatID: chatID, messageID: messageID, userID: userID, data: data, createdAt: now())
        let payload: TelegramJSON = .object([
            "id": .string(id), "from": user(userID).json, "message": messageJSON(message),
            "chat_instance": .string(String(chatID ^ 0x5EED_0000_0000)), "data": .string(data),
        ])
        enqueue(kind: "callback_query", payload: payload)
        return id
    }

    /// Presses the callback button labelled `label` (the first, if several).
    @discardableResult
    func pressButton(chatID: Int64, messageID: Int64, userID: Int64, label: String) throws(FakeTelegramControlError) -> String {
        let message = try shownMessage(chatID: chatID, messageID: messageID)
        guard let data = message.keyboard.joined().first(where: { $0.text == label && $0.callbackData != nil })?.callbackData else {
            throw FakeTelegramControlError(
                description: "message \(messageID) in chat \(chatID) has no callback button \"\(label)\"; it shows \(message.buttonLabels)")
        }
        return try pressButton(chatID: chatID, messageID: messageID, userID: userID, data: data)
    }

    // MARK: What the chats show

    /// Every message of the chat in order, as shown now (bot's and users').
    func messages(in chatID: Int64) -> [FakeTelegramMessage] {
        chats[chatID]?.messages ?? []
    }

    /// The bot's messages in the chat, as shown now.
    func botMessages(in chatID: Int64) -> [FakeTelegramMessage] {
        messages(in: chatID).filter(\.isFromBot)
    }

    func message(in chatID: Int64, id messageID: Int64) -> FakeTelegramMessage? {
        messages(in: chatID).first { $0.messageID == messageID }
    }

    /// Calls of one method (any case), in order.
    func calls(to method: String) -> [FakeTelegramCall] {
        calls.filter { $0.method.lowercased() == method.lowercased() }
    }

    /// The answer to the query `pressButton` returned, if it was answered.
    func answer(to queryID: String) -> FakeTelegramCallbackAnswer? {
        answeredCallbacks.first { $0.queryID == queryID }
    }

    /// Updates waiting to be confirmed by an offset.
    var pendingUpdateCount: Int { updates.count }

    /// The last `allowed_updates` set by `getUpdates` (nil: Telegram's default).
    var allowedUpdates: Set<String>? { updates.allowed }

    /// Polls `probe` until it returns a value (every 10 ms), for waiting on what a client does in the background.
    @discardableResult
    func waitUntil<T: Sendable>(timeout: Duration = .seconds(5), _ probe: @Sendable (isolated FakeTelegramServer) -> T?) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let value = probe(self) { return value }
            guard ContinuousClock.now < deadline else { throw FakeTelegramControlError(description: "nothing happened within \(timeout)") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    // MARK: Faults

    /// The next call of `method` fails with this error instead of running (one-shot; calls queue up in order).
    /// A 429 without `retryAfter` gets `retry_after` 1; the description defaults to Telegram's for the status.
    /// With `rawBody` the reply is that text instead of a JSON envelope, like a proxy's error page.
    func failNext(
        _ method: String, status: Int, description: String? = nil, retryAfter: Int? = nil, migrateToChatID: Int64? = nil,
        rawBody: String? = nil
    ) {
        let canonical = spec.method(named: method)?.name ?? method
        faults[canonical, default: []].append(
            FakeTelegramFailure(
                status: status, description: description, retryAfter: retryAfter, migrateToChatID: migrateToChatID, rawBody: rawBody))
    }

    /// The user blocks the bot (a group removes it): `sendMessage` answers 403.
    func blockChat(_ chatID: Int64) {
        chats[chatID]?.isBlocked = true
    }

    func unblockChat(_ chatID: Int64) {
        chats[chatID]?.isBlocked = false
    }

    /// The group becomes a supergroup: calls to `from` answer 400 with `migrate_to_chat_id` `to`, which now exists.
    func migrateChat(from oldID: Int64, to newID: Int64) {
        let title = chats[oldID]?.title
        chats[oldID, default: FakeTelegramChat(id: oldID)].migratedTo = newID
        if chats[newID] == nil { chats[newID] = FakeTelegramChat(id: newID, kind: .supergroup, title: title) }
    }

    /// A webhook is set from now on: `getUpdates` answers 409 until `deleteWebhook`.
    func setWebhook() {
        hasWebhook = true
    }

    // MARK: Rate limits

    /// Starts or stops answering 429 past the per-chat limits. Sends are recorded either way.
    func enforceRateLimits(_ enforced: Bool) {
        enforcesRateLimits = enforced
    }

    /// When each accepted message reached the chat, by the fake's clock.
    func sendTimes(in chatID: Int64) -> [Date] {
        rateLimiter.sendTimes[chatID] ?? []
    }

    /// Accepted messages that broke Telegram's per-chat limits; a well-behaved client leaves this empty.
    var rateViolations: [FakeTelegramRateLimiter.Violation] {
        rateLimiter.violations()
    }

    // MARK: Helpers

    private func shownMessage(chatID: Int64, messageID: Int64) throws(FakeTelegramControlError) -> FakeTelegramMessage {
        guard let message = message(in: chatID, id: messageID) else {
            throw FakeTelegramControlError(description: "chat \(chatID) has no message \(messageID)")
        }
        return message
    }

    /// Telegram marks a leading `/command` (with an optional `@botname`) as a `bot_command` entity.
    private static func commandEntities(_ text: String) -> [TelegramFormattedText.Entity] {
        guard text.hasPrefix("/") else { return [] }
        let command = text.prefix { !$0.isWhitespace }
        guard command.count > 1 else { return [] }
        return [TelegramFormattedText.Entity(type: "bot_command", offset: 0, length: command.utf16.count)]
    }
}
