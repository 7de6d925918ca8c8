import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

/// `sendDocument`: the client's multipart upload against the fake Bot API, which checks it against the spec.
@Suite("Telegram client: documents", .serialized, .system)
struct TelegramClientDocumentTests {
    @Test("sendDocument uploads the file with its name and caption as multipart/form-data, within the spec")
    func sendDocument() async throws {
        var configuration = FakeTelegramConfiguration()
        configuration.chats = [TelegramClientTests.operatorID]
        try await FakeTelegramServer.withServer(configuration) { fake in
            let client = TelegramClient(apiURL: await fake.baseURL, token: fake.token)
            let csv = "source,installed\r\nopenssl,\"3,0\"\r\n--vigil-not-a-boundary\r\n"
            let message = try await client.sendDocument(
                chatID: TelegramClientTests.operatorID, fileName: "updates.csv", bytes: Array(csv.utf8), caption: "Pending on <b>web-1</b>")
            #expect(message.chat.id == TelegramClientTests.operatorID)
            let document = try #require(await fake.documents.first)
            #expect(
                document
                    == FakeTelegramDocument(
                        chatID: TelegramClientTests.operatorID, fileName: "updates.csv", content: csv, caption: "Pending on <b>web-1</b>"))
            #expect(await fake.specViolations == [])
        }
    }

    @Test("a document for a chat the bot is not in fails with Telegram's error")
    func unknownChat() async throws {
        try await FakeTelegramServer.withServer(FakeTelegramConfiguration()) { fake in
            let client = TelegramClient(apiURL: await fake.baseURL, token: fake.token)
            let error = await #expect(throws: TelegramError.self) {
                _ = try await client.sendDocument(chatID: 424_242, fileName: "a.csv", bytes: Array("x".utf8), caption: nil)
            }
            #expect(error?.code == 400)
        }
    }
}
