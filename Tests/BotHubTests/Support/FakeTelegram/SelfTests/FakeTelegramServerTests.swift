import Foundation
import Testing
import VigilTestSupport

/// The fake must refuse what Telegram's spec does not allow, or a client bug would pass unnoticed; and its test
/// controls must behave as the people and faults they stand for.
@Suite("Fake Telegram: spec checks, routing and controls", .serialized, .system)
struct FakeTelegramServerTests {
    static let chatID: Int64 = 1001
    static let groupID: Int64 = -2002

    func withFake(
        _ configure: (inout FakeTelegramConfiguration) -> Void = { _ in },
        _ body: (FakeTelegramServer, FakeTelegramRawClient) async throws -> Void
    ) async throws {
        var configuration = FakeTelegramConfiguration()
        configuration.chats = [Self.chatID, Self.groupID]
        configure(&configuration)
        try await FakeTelegramServer.withServer(configuration) { fake in
            try await body(fake, FakeTelegramRawClient(baseURL: await fake.baseURL, token: fake.token))
        }
    }

    // MARK: Spec checks

    @Test("an unknown parameter is refused with 400 and recorded as a spec violation")
    func unknownParameter() async throws {
        try await withFake { fake, raw in
            let reply = try await raw.call("sendMessage", json: #"{"chat_id": 1001, "text": "hi", "colour": "red"}"#)
            #expect(reply.status == 400)
            #expect(reply.envelope["ok"] == false)
            #expect(reply.envelope["error_code"] == 400)
            #expect(reply.description?.hasPrefix("Bad Request: unknown parameter \"colour\"") == true)
            #expect(await fake.specViolations.map(\.problem) == ["unknown parameter \"colour\" (not in Bot API 10.1 sendMessage)"])
            #expect(await fake.messages(in: Self.chatID).isEmpty)
        }
    }

    @Test("a mistyped value deep inside reply_markup is refused with its path")
    func nestedType() async throws {
        try await withFake { fake, raw in
            let body = #"{"chat_id": 1001, "text": "hi", "reply_markup": {"inline_keyboard": [[{"text": "Block", "callback_data": 5}]]}}"#
            let reply = try await raw.call("sendMessage", json: body)
            #expect(reply.status == 400)
            #expect(await fake.specViolations.map(\.problem) == ["reply_markup.inline_keyboard[0][0].callback_data: expected String, got Integer"])
        }
    }

    @Test("an unknown field inside a button is refused")
    func nestedUnknownField() async throws {
        try await withFake { fake, raw in
            let body = #"{"chat_id": 1001, "text": "hi", "reply_markup": {"inline_keyboard": [[{"text": "Block", "callbackData": "x"}]]}}"#
            _ = try await raw.call("sendMessage", json: body)
            #expect(
                await fake.specViolations.map(\.problem) == ["reply_markup.inline_keyboard[0][0].callbackData: unknown field of InlineKeyboardButton"]
            )
        }
    }

    @Test("a JSON string where the spec says Integer is refused in a JSON body")
    func scalarType() async throws {
        try await withFake { fake, raw in
            let reply = try await raw.call("getUpdates", json: #"{"timeout": "50"}"#)
            #expect(reply.status == 400)
            #expect(await fake.specViolations.map(\.problem) == ["timeout: expected Integer, got String"])
        }
    }

    @Test("a missing required parameter is refused as Telegram words it")
    func missingRequired() async throws {
        try await withFake { fake, raw in
            let reply = try await raw.call("sendMessage", json: #"{"chat_id": 1001}"#)
            #expect(reply.status == 400)
            #expect(reply.description == "Bad Request: message text is empty")
            #expect(await fake.specViolations.count == 1)
        }
    }

    @Test("form fields and query items are read as their spec types")
    func formEncoding() async throws {
        try await withFake { fake, raw in
            let markup = #"{"inline_keyboard":[[{"text":"OK","callback_data":"v1:ack:1"}]]}"#
            let encoded = try #require(markup.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
            let reply = try await raw.call("sendMessage", form: "chat_id=1001&text=hello+there&reply_markup=\(encoded)")
            #expect(reply.status == 200)
            #expect(await fake.messages(in: Self.chatID).first?.text == "hello there")
            #expect(await fake.messages(in: Self.chatID).first?.buttonLabels == [["OK"]])

            let me = try await raw.get("/bot\(fake.token)/getme")
            #expect(me.status == 200)
            #expect(me.result?["is_bot"] == true)
            let updates = try await raw.get("/bot\(fake.token)/getUpdates?timeout=0&limit=5")
            #expect(updates.result == .array([]))
            #expect(await fake.specViolations.isEmpty)
        }
    }

    @Test("the fake's own replies fit the spec: messages with entities and keyboards, updates of both kinds")
    func repliesFitSpec() async throws {
        try await withFake { fake, raw in
            let body =
                #"{"chat_id": -2002, "text": "<b>x</b> <a href=\"https://example.org\">y</a>", "parse_mode": "HTML", "#
                + #""reply_markup": {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}}"#
            let sent = try await raw.call("sendMessage", json: body)
            #expect(sent.status == 200)
            let messageID = try #require(sent.result?["message_id"]?.int64Value)
            try await fake.pressButton(chatID: Self.groupID, messageID: messageID, userID: 7, label: "OK")
            try await fake.sendText(chatID: Self.groupID, userID: 7, text: "/start@vigil_test_bot")
            let updates = try await raw.call("getUpdates", json: "{}")
            #expect(updates.result?.arrayValue?.count == 2)
            _ = try await raw.call("getMe", json: "{}")
            #expect(await fake.specViolations == [])
        }
    }

    // MARK: Routing

    @Test("a wrong token is 401 and an unknown method 404, with Telegram's envelopes")
    func routing() async throws {
        try await withFake { fake, raw in
            let wrongToken = try await FakeTelegramRawClient(baseURL: await fake.baseURL, token: "1:nope").call("getMe", json: "{}")
            #expect(wrongToken.status == 401)
            #expect(wrongToken.envelope == .object(["ok": false, "error_code": 401, "description": "Unauthorized"]))

            let unknown = try await raw.call("sendPigeon", json: "{}")
            #expect(unknown.status == 404)
            #expect(unknown.envelope == .object(["ok": false, "error_code": 404, "description": "Not Found"]))

            let root = try await raw.get("/")
            #expect(root.status == 404)
        }
    }

    // MARK: Updates

    @Test("allowed_updates drops the kinds a bot did not ask for")
    func allowedUpdatesFilter() async throws {
        try await withFake { fake, raw in
            _ = try await raw.call(
                "sendMessage",
                json: #"{"chat_id": 1001, "text": "alert", "reply_markup": {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}}"#)
            _ = try await raw.call("getUpdates", json: #"{"allowed_updates": ["message"], "timeout": 0}"#)

            try await fake.pressButton(chatID: Self.chatID, messageID: 1, userID: Self.chatID, data: "ok")
            try await fake.sendText(chatID: Self.chatID, userID: Self.chatID, text: "/status")

            let reply = try await raw.call("getUpdates", json: #"{"timeout": 0}"#)
            let kinds = reply.result?.arrayValue?.compactMap { $0.objectValue?.keys.filter { $0 != "update_id" }.first }
            #expect(kinds == ["message"])
            #expect(await fake.specViolations.isEmpty)
        }
    }

    @Test("a misspelt update kind in allowed_updates is recorded")
    func misspeltAllowedUpdate() async throws {
        try await withFake { fake, raw in
            let reply = try await raw.call("getUpdates", json: #"{"allowed_updates": ["callback_querys"]}"#)
            #expect(reply.status == 200)  // Telegram does not complain; the fake still tells the test.
            #expect(await fake.specViolations.map(\.problem) == ["allowed_updates: unknown update type \"callback_querys\""])
        }
    }

    @Test("a negative offset keeps only the newest updates")
    func negativeOffset() async throws {
        try await withFake { fake, raw in
            for text in ["/a", "/b", "/c"] { try await fake.sendText(chatID: Self.chatID, userID: Self.chatID, text: text) }
            let reply = try await raw.call("getUpdates", json: #"{"offset": -1}"#)
            #expect(reply.result?.arrayValue?.count == 1)
            #expect(await fake.pendingUpdateCount == 1)
        }
    }

    // MARK: Controls

    @Test("a press on a button the message does not show is impossible")
    func pressMissingButton() async throws {
        try await withFake { fake, raw in
            _ = try await raw.call("sendMessage", json: #"{"chat_id": -2002, "text": "alert"}"#)
            await #expect(throws: FakeTelegramControlError.self) {
                try await fake.pressButton(chatID: Self.groupID, messageID: 1, userID: 5, data: "v1:block:1")
            }
            await #expect(throws: FakeTelegramControlError.self) {
                try await fake.pressButton(chatID: Self.groupID, messageID: 2, userID: 5, data: "v1:block:1")
            }
        }
    }

    @Test("a private chat takes one message a second: the next one waits for the fake's clock to move on")
    func privateRate() async throws {
        try await withFake({ $0.enforcesRateLimits = true }) { fake, raw in
            #expect(try await raw.call("sendMessage", json: #"{"chat_id": 1001, "text": "one"}"#).status == 200)
            let refused = try await raw.call("sendMessage", json: #"{"chat_id": 1001, "text": "two"}"#)
            #expect(refused.status == 429)
            #expect(refused.description == "Too Many Requests: retry after 1")
            #expect(refused.envelope["parameters"] == .object(["retry_after": 1]))

            await fake.advanceClock(by: .seconds(1))
            #expect(try await raw.call("sendMessage", json: #"{"chat_id": 1001, "text": "two"}"#).status == 200)
            #expect(await fake.sendTimes(in: Self.chatID).count == 2)
            #expect(await fake.rateViolations.isEmpty)
        }
    }

    @Test("group sends past 20 a minute are refused when enforced and found in the record when not")
    func groupRate() async throws {
        try await withFake { fake, raw in
            for index in 0..<21 {
                _ = try await raw.call("sendMessage", json: #"{"chat_id": -2002, "text": "n\#(index)"}"#)
            }
            #expect(await fake.rateViolations.count == 1)

            await fake.enforceRateLimits(true)
            let refused = try await raw.call("sendMessage", json: #"{"chat_id": -2002, "text": "more"}"#)
            #expect(refused.status == 429)
            #expect(refused.envelope["parameters"]?["retry_after"]?.int64Value ?? 0 >= 59)

            await fake.advanceClock(by: .seconds(61))
            let later = try await raw.call("sendMessage", json: #"{"chat_id": -2002, "text": "later"}"#)
            #expect(later.status == 200)
        }
    }

    @Test("every call is written to the JSON-lines log, without the token")
    func callLog() async throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fake-telegram-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: url) }
        try await withFake({ $0.callLogURL = url }) { fake, raw in
            _ = try await raw.call("getMe", json: "{}")
            _ = try await raw.call("sendMessage", json: #"{"chat_id": 5, "text": "hi"}"#)
            let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 2)
            let second = try #require(TelegramJSON.parse(Array(lines[1].utf8)))
            #expect(second["method"] == "sendMessage")
            #expect(second["status"] == 400)
            #expect(second["description"] == "Bad Request: chat not found")
            #expect(second["parameters"]?["chat_id"] == 5)
            #expect(!lines.joined().contains(fake.token))
        }
    }
}
