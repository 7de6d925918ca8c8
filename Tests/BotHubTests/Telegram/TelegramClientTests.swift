import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

/// The hub's real `TelegramClient` against the fake Bot API: every method, every error the hub must tell apart, and
/// long polling. Each test ends by checking that none of the client's calls broke the Bot API spec.
@Suite("Telegram client against the fake Bot API", .serialized, .system)
struct TelegramClientTests {
    static let operatorID: Int64 = 1001
    static let groupID: Int64 = -2002
    static let supergroupID: Int64 = -1_002_003_004_005

    static let blockButtons: [[InlineButton]] = [
        [InlineButton(text: "Block 1 h", callbackData: "v1:block_ip_1h:6f1c2a3b"), InlineButton(text: "OK", callbackData: "v1:acknowledge:6f1c2a3b")]
    ]

    /// A started fake that knows the operator's private chat and a group, and a client pointed at it.
    func withClient(
        _ configure: (inout FakeTelegramConfiguration) -> Void = { _ in },
        _ body: (FakeTelegramServer, TelegramClient) async throws -> Void
    ) async throws {
        var configuration = FakeTelegramConfiguration()
        configuration.chats = [Self.operatorID, Self.groupID]
        configuration.users = [FakeTelegramUser(id: Self.operatorID, firstName: "Olga", username: "olga_ops")]
        configure(&configuration)
        try await FakeTelegramServer.withServer(configuration) { fake in
            let client = TelegramClient(apiURL: await fake.baseURL, token: fake.token)
            try await body(fake, client)
            #expect(await fake.specViolations == [])
        }
    }

    // MARK: getMe and deleteWebhook

    @Test("getMe returns the bot the token belongs to")
    func getMe() async throws {
        try await withClient { fake, client in
            let bot = try await client.getMe()
            #expect(bot.id == fake.configuration.botID)
            #expect(bot.isBot)
            #expect(bot.username == "vigil_test_bot")
        }
    }

    @Test("a wrong token makes getMe fail clearly with 401 Unauthorized")
    func wrongToken() async throws {
        try await withClient { fake, _ in
            let client = TelegramClient(apiURL: await fake.baseURL, token: "7000000001:wrong-secret")
            let error = await #expect(throws: TelegramError.self) { try await client.getMe() }
            #expect(error?.code == 401)
            #expect(error?.detail == "Unauthorized")
            #expect(error?.description == "getMe: HTTP 401 Unauthorized")
            #expect(error?.isTransient == false)
        }
    }

    @Test("deleteWebhook clears a webhook so that polling works")
    func deleteWebhook() async throws {
        try await withClient { fake, client in
            await fake.setWebhook()
            let refused = await #expect(throws: TelegramError.self) { _ = try await client.getUpdates(offset: nil, timeout: 0) }
            #expect(refused?.code == 409)
            #expect(refused?.detail.contains("webhook is active") == true)

            try await client.deleteWebhook()
            #expect(try await client.getUpdates(offset: nil, timeout: 0).isEmpty)
        }
    }

    // MARK: sendMessage

    @Test("sendMessage shows the HTML text with its formatting and the inline keyboard")
    func sendMessage() async throws {
        try await withClient { fake, client in
            let sent = try await client.sendMessage(
                chatID: Self.operatorID, html: "⚠️ <b>web-1</b>: new SSH session &lt;root&gt; from 203.0.113.9", keyboard: Self.blockButtons)

            #expect(sent.messageId == 1)
            #expect(sent.chat.id == Self.operatorID)
            #expect(sent.chat.type == "private")
            let shown = try #require(await fake.messages(in: Self.operatorID).first)
            #expect(shown.text == "⚠️ web-1: new SSH session <root> from 203.0.113.9")
            #expect(shown.content.entities == [TelegramFormattedText.Entity(type: "bold", offset: 3, length: 5)])
            #expect(shown.parseMode == "HTML")
            #expect(shown.buttonLabels == [["Block 1 h", "OK"]])
            #expect(shown.callbackData == [["v1:block_ip_1h:6f1c2a3b", "v1:acknowledge:6f1c2a3b"]])
        }
    }

    @Test("message ids count up per chat")
    func messageIDsPerChat() async throws {
        try await withClient { _, client in
            let first = try await client.sendMessage(chatID: Self.operatorID, html: "one", keyboard: [])
            let inGroup = try await client.sendMessage(chatID: Self.groupID, html: "one", keyboard: [])
            let second = try await client.sendMessage(chatID: Self.operatorID, html: "two", keyboard: [])
            #expect([first.messageId, inGroup.messageId, second.messageId] == [1, 1, 2])
            #expect(inGroup.chat.type == "group")
        }
    }

    @Test("sending to a chat the bot is not in fails with chat not found")
    func chatNotFound() async throws {
        try await withClient { _, client in
            let error = await #expect(throws: TelegramError.self) { _ = try await client.sendMessage(chatID: 424_242, html: "hi", keyboard: []) }
            #expect(error?.code == 400)
            #expect(error?.detail == "Bad Request: chat not found")
        }
    }

    @Test("an unescaped < in HTML fails with can't parse entities, as Telegram reports it")
    func strayLessThan() async throws {
        try await withClient { fake, client in
            let error = await #expect(throws: TelegramError.self) {
                _ = try await client.sendMessage(chatID: Self.operatorID, html: "load < 5", keyboard: [])
            }
            #expect(error?.code == 400)
            #expect(error?.detail == "Bad Request: can't parse entities: Unsupported start tag \"\" at byte offset 5")
            #expect(await fake.messages(in: Self.operatorID).isEmpty)
        }
    }

    @Test("an unescaped & in HTML fails with can't parse entities")
    func strayAmpersand() async throws {
        try await withClient { _, client in
            let error = await #expect(throws: TelegramError.self) {
                _ = try await client.sendMessage(chatID: Self.operatorID, html: "<b>Tom & Jerry</b>", keyboard: [])
            }
            #expect(error?.detail.hasPrefix("Bad Request: can't parse entities: ") == true)
        }
    }

    @Test("an unclosed tag fails with can't parse entities")
    func unclosedTag() async throws {
        try await withClient { _, client in
            let error = await #expect(throws: TelegramError.self) {
                _ = try await client.sendMessage(chatID: Self.operatorID, html: "<b>web-1", keyboard: [])
            }
            #expect(error?.detail == "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"")
        }
    }

    @Test("callback_data longer than 64 bytes fails with BUTTON_DATA_INVALID")
    func buttonDataTooLong() async throws {
        try await withClient { _, client in
            let keyboard = [[InlineButton(text: "Block", callbackData: String(repeating: "x", count: 65))]]
            let error = await #expect(throws: TelegramError.self) {
                _ = try await client.sendMessage(chatID: Self.operatorID, html: "alert", keyboard: keyboard)
            }
            #expect(error?.detail == "Bad Request: BUTTON_DATA_INVALID")
        }
    }

    @Test("callback_data of exactly 64 bytes is accepted")
    func buttonDataAtLimit() async throws {
        try await withClient { fake, client in
            let keyboard = [[InlineButton(text: "Block", callbackData: String(repeating: "é", count: 32))]]
            _ = try await client.sendMessage(chatID: Self.operatorID, html: "alert", keyboard: keyboard)
            #expect(await fake.messages(in: Self.operatorID).count == 1)
        }
    }

    @Test("text longer than 4096 characters after parsing fails with message is too long; markup does not count")
    func textTooLong() async throws {
        try await withClient { _, client in
            let atLimit = "<b>" + String(repeating: "a", count: 4096) + "</b>"
            _ = try await client.sendMessage(chatID: Self.operatorID, html: atLimit, keyboard: [])
            let error = await #expect(throws: TelegramError.self) {
                _ = try await client.sendMessage(chatID: Self.groupID, html: String(repeating: "a", count: 4097), keyboard: [])
            }
            #expect(error?.detail == "Bad Request: message is too long")
        }
    }

    @Test("a blocked bot gets 403, recognisable as forbidden")
    func blocked() async throws {
        try await withClient { fake, client in
            await fake.blockChat(Self.operatorID)
            let error = await #expect(throws: TelegramError.self) {
                _ = try await client.sendMessage(chatID: Self.operatorID, html: "hi", keyboard: [])
            }
            #expect(error?.code == 403)
            #expect(error?.detail == "Forbidden: bot was blocked by the user")
            #expect(error?.isForbidden == true)
        }
    }

    @Test("a group upgraded to a supergroup answers with migrate_to_chat_id, and the new chat works")
    func migratedGroup() async throws {
        try await withClient { fake, client in
            await fake.migrateChat(from: Self.groupID, to: Self.supergroupID)
            let error = await #expect(throws: TelegramError.self) { _ = try await client.sendMessage(chatID: Self.groupID, html: "hi", keyboard: []) }
            #expect(error?.code == 400)
            #expect(error?.detail == "Bad Request: group chat was upgraded to a supergroup chat")
            #expect(error?.migrateToChatID == Self.supergroupID)

            let moved = try await client.sendMessage(chatID: Self.supergroupID, html: "hi", keyboard: [])
            #expect(moved.chat.type == "supergroup")
        }
    }

    // MARK: Rate limits and injected faults

    @Test("a second message too soon to a private chat gets 429 with retry_after, when limits are enforced")
    func rateLimited() async throws {
        // A long interval, so that a slow machine cannot let the second message through by taking a second.
        try await withClient({
            $0.enforcesRateLimits = true; $0.privateChatInterval = .seconds(30)
        }) { fake, client in
            _ = try await client.sendMessage(chatID: Self.operatorID, html: "first", keyboard: [])
            let error = await #expect(throws: TelegramError.self) {
                _ = try await client.sendMessage(chatID: Self.operatorID, html: "second", keyboard: [])
            }
            #expect(error?.code == 429)
            let wait = try #require(error?.retryAfter)
            #expect((29...30).contains(wait))
            #expect(error?.detail == "Too Many Requests: retry after \(wait)")
            #expect(error?.isTransient == true)

            // Other chats keep flowing, and the refused message was not counted as sent.
            _ = try await client.sendMessage(chatID: Self.groupID, html: "elsewhere", keyboard: [])
            #expect(await fake.sendTimes(in: Self.operatorID).count == 1)
            #expect(await fake.rateViolations.isEmpty)
        }
    }

    @Test("an injected 429 is decoded with its retry_after")
    func injected429() async throws {
        try await withClient { fake, client in
            await fake.failNext("sendMessage", status: 429, retryAfter: 7)
            let error = await #expect(throws: TelegramError.self) {
                _ = try await client.sendMessage(chatID: Self.operatorID, html: "hi", keyboard: [])
            }
            #expect(error?.code == 429)
            #expect(error?.retryAfter == 7)
            #expect(error?.detail == "Too Many Requests: retry after 7")
            // One-shot: the retry goes through.
            _ = try await client.sendMessage(chatID: Self.operatorID, html: "hi", keyboard: [])
        }
    }

    @Test("an injected 5xx is transient")
    func injected5xx() async throws {
        try await withClient { fake, client in
            await fake.failNext("editMessageText", status: 502)
            _ = try await client.sendMessage(chatID: Self.operatorID, html: "hi", keyboard: [])
            let error = await #expect(throws: TelegramError.self) {
                try await client.editMessageText(chatID: Self.operatorID, messageID: 1, html: "done", keyboard: [])
            }
            #expect(error?.code == 502)
            #expect(error?.detail == "Bad Gateway")
            #expect(error?.isTransient == true)
        }
    }

    @Test("an HTML error page from a proxy in front of Telegram is a transient failure")
    func proxyErrorPage() async throws {
        try await withClient { fake, client in
            await fake.failNext("sendMessage", status: 502, rawBody: "<html><body>502 Bad Gateway</body></html>")
            let error = await #expect(throws: TelegramError.self) {
                _ = try await client.sendMessage(chatID: Self.operatorID, html: "hi", keyboard: [])
            }
            #expect(error?.code == 502)
            #expect(error?.isTransient == true)
        }
    }

    @Test("when Telegram cannot be reached the failure is a transient network error that does not reveal the token")
    func unreachable() async throws {
        try await withClient { fake, client in
            await fake.goOffline()
            let error = await #expect(throws: TelegramError.self) { _ = try await client.getMe() }
            #expect(error?.code == 0)
            #expect(error?.isTransient == true)
            #expect(error?.description.contains(fake.token) == false)

            try await fake.goOnline()
            _ = try await client.getMe()
        }
    }

    // MARK: editMessageText

    @Test("editMessageText replaces the text and the keyboard")
    func edit() async throws {
        try await withClient { fake, client in
            let sent = try await client.sendMessage(chatID: Self.operatorID, html: "<b>web-1</b>: SSH session", keyboard: Self.blockButtons)
            let unblock = [[InlineButton(text: "Unblock", callbackData: "v1:unblock:6f1c2a3b")]]
            try await client.editMessageText(
                chatID: Self.operatorID, messageID: sent.messageId, html: "<b>web-1</b>: blocked by @olga_ops", keyboard: unblock)

            let shown = try #require(await fake.message(in: Self.operatorID, id: sent.messageId))
            #expect(shown.text == "web-1: blocked by @olga_ops")
            #expect(shown.buttonLabels == [["Unblock"]])
            #expect(shown.editCount == 1)
            #expect(shown.editDate != nil)
        }
    }

    @Test("an edit with no buttons removes the keyboard")
    func editRemovesKeyboard() async throws {
        try await withClient { fake, client in
            let sent = try await client.sendMessage(chatID: Self.operatorID, html: "alert", keyboard: Self.blockButtons)
            try await client.editMessageText(chatID: Self.operatorID, messageID: sent.messageId, html: "alert: handled", keyboard: [])
            #expect(await fake.message(in: Self.operatorID, id: sent.messageId)?.keyboard == [])
        }
    }

    @Test("an edit that changes nothing is answered 'message is not modified' and the client counts it as success")
    func notModified() async throws {
        try await withClient { fake, client in
            let sent = try await client.sendMessage(chatID: Self.operatorID, html: "<b>done</b>", keyboard: Self.blockButtons)
            // <strong> renders as <b> does: Telegram compares what is shown, not the HTML.
            try await client.editMessageText(
                chatID: Self.operatorID, messageID: sent.messageId, html: "<strong>done</strong>", keyboard: Self.blockButtons)

            let edit = try #require(await fake.calls(to: "editMessageText").last)
            #expect(edit.status == 400)
            #expect(
                edit.description
                    == "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"
            )
            #expect(await fake.message(in: Self.operatorID, id: sent.messageId)?.editCount == 0)
        }
    }

    @Test("editing a message that does not exist fails with message to edit not found")
    func editUnknownMessage() async throws {
        try await withClient { _, client in
            let error = await #expect(throws: TelegramError.self) {
                try await client.editMessageText(chatID: Self.operatorID, messageID: 99, html: "x", keyboard: [])
            }
            #expect(error?.code == 400)
            #expect(error?.detail == "Bad Request: message to edit not found")
            #expect(error?.isMessageNotModified == false)
        }
    }

    // MARK: answerCallbackQuery

    @Test("answering a press shows its toast once; a second answer is refused as too old")
    func answerCallback() async throws {
        try await withClient { fake, client in
            let sent = try await client.sendMessage(chatID: Self.operatorID, html: "alert", keyboard: Self.blockButtons)
            let query = try await fake.pressButton(chatID: Self.operatorID, messageID: sent.messageId, userID: Self.operatorID, label: "Block 1 h")

            try await client.answerCallbackQuery(id: query, text: "Blocking 203.0.113.9…", showAlert: false)
            #expect(await fake.answer(to: query)?.text == "Blocking 203.0.113.9…")
            #expect(await fake.answer(to: query)?.showAlert == false)

            let again = await #expect(throws: TelegramError.self) { try await client.answerCallbackQuery(id: query, text: nil, showAlert: false) }
            #expect(again?.detail == "Bad Request: query is too old and response timeout expired or query ID is invalid")
        }
    }

    @Test("a press answered after 15 seconds is refused as too old")
    func callbackTooOld() async throws {
        try await withClient { fake, client in
            let sent = try await client.sendMessage(chatID: Self.operatorID, html: "alert", keyboard: Self.blockButtons)
            let query = try await fake.pressButton(
                chatID: Self.operatorID, messageID: sent.messageId, userID: Self.operatorID, data: "v1:acknowledge:6f1c2a3b")
            await fake.advanceClock(by: .seconds(16))

            let error = await #expect(throws: TelegramError.self) { try await client.answerCallbackQuery(id: query, text: "OK", showAlert: true) }
            #expect(error?.code == 400)
            #expect(error?.detail == "Bad Request: query is too old and response timeout expired or query ID is invalid")
            #expect(await fake.answeredCallbacks.isEmpty)
        }
    }

    @Test("an unknown callback query id is refused as invalid")
    func unknownCallback() async throws {
        try await withClient { _, client in
            let error = await #expect(throws: TelegramError.self) { try await client.answerCallbackQuery(id: "123", text: nil, showAlert: false) }
            #expect(error?.detail == "Bad Request: query is too old and response timeout expired or query ID is invalid")
        }
    }

    @Test("a toast longer than 200 characters is refused")
    func toastTooLong() async throws {
        try await withClient { fake, client in
            let sent = try await client.sendMessage(chatID: Self.operatorID, html: "alert", keyboard: Self.blockButtons)
            let query = try await fake.pressButton(chatID: Self.operatorID, messageID: sent.messageId, userID: Self.operatorID, label: "OK")
            let error = await #expect(throws: TelegramError.self) {
                try await client.answerCallbackQuery(id: query, text: String(repeating: "x", count: 201), showAlert: true)
            }
            #expect(error?.code == 400)
        }
    }

    // MARK: getUpdates

    @Test("a long poll returns as soon as a button is pressed, carrying the message and the presser")
    func longPollReturnsPromptly() async throws {
        try await withClient { fake, client in
            let sent = try await client.sendMessage(chatID: Self.operatorID, html: "<b>alert</b>", keyboard: Self.blockButtons)
            let started = ContinuousClock.now
            let poll = Task { try await client.getUpdates(offset: nil, timeout: 10) }
            try await fake.waitUntil { $0.pendingPoll != nil ? true : nil }
            try await fake.pressButton(chatID: Self.operatorID, messageID: sent.messageId, userID: Self.operatorID, label: "Block 1 h")

            let updates = try await poll.value
            #expect(ContinuousClock.now - started < .seconds(3))
            let press = try #require(updates.first?.callbackQuery)
            #expect(updates.count == 1)
            #expect(press.data == "v1:block_ip_1h:6f1c2a3b")
            #expect(press.from.id == Self.operatorID)
            #expect(press.from.username == "olga_ops")
            #expect(press.message?.messageId == sent.messageId)
            #expect(press.message?.chat.id == Self.operatorID)
            #expect(press.message?.text == "alert")
        }
    }

    @Test("an offset confirms updates: they are not delivered again")
    func offsetsConfirm() async throws {
        try await withClient { fake, client in
            try await fake.sendText(chatID: Self.operatorID, userID: Self.operatorID, text: "/start")
            try await fake.sendText(chatID: Self.operatorID, userID: Self.operatorID, text: "/status")

            let first = try await client.getUpdates(offset: nil, timeout: 0)
            #expect(first.map { $0.message?.text } == ["/start", "/status"])
            // Unconfirmed updates come again.
            #expect(try await client.getUpdates(offset: nil, timeout: 0).count == 2)

            let next = try #require(first.last?.updateId) + 1
            #expect(try await client.getUpdates(offset: next, timeout: 0).isEmpty)
            #expect(await fake.pendingUpdateCount == 0)
            // Forgotten for good, even without an offset.
            #expect(try await client.getUpdates(offset: nil, timeout: 0).isEmpty)

            try await fake.sendText(chatID: Self.operatorID, userID: Self.operatorID, text: "/blocks")
            let later = try await client.getUpdates(offset: next, timeout: 0)
            #expect(later.map(\.updateId) == [next])
        }
    }

    @Test("cancelling a long poll (the hub shutting down) ends it promptly")
    func cancelledPoll() async throws {
        try await withClient { fake, client in
            let started = ContinuousClock.now
            let poll = Task { try await client.getUpdates(offset: nil, timeout: 10) }
            try await fake.waitUntil { $0.pendingPoll != nil ? true : nil }
            poll.cancel()
            _ = await poll.result
            #expect(ContinuousClock.now - started < .seconds(3))
        }
    }

    @Test("a long poll with nothing to deliver returns an empty list after its timeout")
    func longPollTimesOut() async throws {
        try await withClient { _, client in
            let started = ContinuousClock.now
            let updates = try await client.getUpdates(offset: nil, timeout: 1)
            let elapsed = ContinuousClock.now - started
            #expect(updates.isEmpty)
            #expect(elapsed >= .milliseconds(900))
            #expect(elapsed < .seconds(5))
        }
    }

    @Test("the client asks only for messages and button presses")
    func allowedUpdates() async throws {
        try await withClient { fake, client in
            _ = try await client.getUpdates(offset: nil, timeout: 0)
            #expect(await fake.allowedUpdates == ["message", "callback_query"])
        }
    }

    @Test("a second concurrent getUpdates ends the first with 409 Conflict")
    func concurrentPolls() async throws {
        try await withClient { fake, client in
            let first = Task { try await client.getUpdates(offset: nil, timeout: 10) }
            try await fake.waitUntil { $0.pendingPoll != nil ? true : nil }
            let other = TelegramClient(apiURL: await fake.baseURL, token: fake.token)
            let second = Task { try await other.getUpdates(offset: nil, timeout: 1) }

            let error = await #expect(throws: TelegramError.self) { _ = try await first.value }
            #expect(error?.code == 409)
            #expect(error?.isConflict == true)
            #expect(error?.detail == "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
            #expect(try await second.value.isEmpty)
        }
    }

    @Test("a command written in the chat arrives as a message update with its sender and chat")
    func textMessage() async throws {
        try await withClient { fake, client in
            try await fake.sendText(chatID: Self.groupID, userID: Self.operatorID, text: "/mute web-1 1h")
            let update = try #require(try await client.getUpdates(offset: nil, timeout: 0).first)
            #expect(update.message?.text == "/mute web-1 1h")
            #expect(update.message?.from?.id == Self.operatorID)
            #expect(update.message?.chat.id == Self.groupID)
            #expect(update.message?.chat.type == "group")
            #expect(update.callbackQuery == nil)
        }
    }
}
