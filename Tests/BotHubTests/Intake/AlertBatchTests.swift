import Foundation
import GRDB
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

/// One agent's bad alert never costs the other agents theirs: a group-commit batch stores every alert it can.
@Suite("Alert batches", .serialized, .awaitsTeardown)
struct AlertBatchTests {
    static let chatID: Int64 = -1001
    static let bob = TelegramUser(id: 22, isBot: false, firstName: "Bob", username: "bob")
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func alert(id: UUID = UUID(), agent: String = "web-1", ip: String) -> Alert {
        Alert(
            id: id,
            agent: agent,
            hostname: agent,
            kind: .sshBruteForce,
            severity: .warning,
            observedAt: now,
            subject: .sshBruteForce(SSHBruteForceEvidence(ip: ip, attempts: 6, users: ["root"], windowSeconds: 60)),
            actions: [.blockIP1h]
        )
    }

    @Test("two alerts whose ids share the first 12 hex digits are both stored, both shown, and both buttons work")
    func shortIDCollision() async throws {
        let store = try HubStore.inMemory()
        let first = Self.alert(id: try #require(UUID(uuidString: "6F1C2A3B-4D5E-4000-8000-000000000001")), ip: "192.0.2.1")
        let second = Self.alert(id: try #require(UUID(uuidString: "6F1C2A3B-4D5E-4000-8000-000000000002")), ip: "192.0.2.2")
        #expect(ShortID.make(first.id) == ShortID.make(second.id))

        let results = try await store.recordAlerts([first, second], chats: [Self.chatID], now: Self.now)
        #expect(try results.map { try $0.get() } == [true, true])
        let firstStored = try #require(try await store.alert(id: first.id.uuidString))
        let secondStored = try #require(try await store.alert(id: second.id.uuidString))
        #expect(firstStored.shortId == "6f1c2a3b4d5e")
        #expect(secondStored.shortId == "6f1c2a3b4d5e4000", "the second gets a longer prefix of its own id")

        let telegram = RecordingTelegram()
        let catalogs = try MessageCatalogs.load(directory: repositoryPath("translations"))
        let roster = ChatRoster(
            chats: [.init(id: Self.chatID, language: nil, operators: [.init(userID: Self.bob.id, name: "bob", role: .operator)])],
            store: store, defaultLanguage: "en")
        let notifier = AlertNotifier(store: store, catalogs: catalogs, telegram: telegram, roster: roster, logger: Logger(label: "test"))
        _ = await notifier.sendPending()
        _ = await notifier.sendPending()
        let shown = await telegram.messages
        #expect(shown.count == 2)

        let agent = FakeAgent()
        try await agent.start()
        atTestEnd { [agent] in await agent.stop() }
        let handler = ChoiceHandler(
            store: store,
            catalogs: catalogs,
            telegram: telegram,
            roster: roster,
            dispatcher: ResponseDispatcher(
                agents: AgentDirectory(configured: [await agent.entry]), timeout: .seconds(5), logger: Logger(label: "test")),
            settings: ChoiceSettings(),
            logger: Logger(label: "test"),
            now: { Self.now }
        )
        for message in shown {
            let data = try #require(message.keyboard.first?.first?.callbackData)
            #expect(data.utf8.count <= 64)
            let chatMessage = TelegramMessage(
                messageId: message.messageID, date: 0, chat: TelegramChat(id: Self.chatID, type: "supergroup"), text: nil)
            await handler.handle(TelegramCallbackQuery(id: UUID().uuidString, from: Self.bob, message: chatMessage, data: data))
        }
        #expect(
            await agent.commands.map(\.action) == [
                .blockIP(ip: "192.0.2.1", durationSeconds: 3600), .blockIP(ip: "192.0.2.2", durationSeconds: 3600),
            ])
        #expect(try await store.alert(id: first.id.uuidString)?.status == .handled)
        #expect(try await store.alert(id: second.id.uuidString)?.status == .handled)
    }

    @Test("every short id length fits in Telegram's 64-byte callback_data, and parses back")
    func longestCallbackData() throws {
        let longest = ShortID.make(UUID(), length: 32)
        for choice in [CallbackData.Choice.action(.blockIPPermanent), .confirm(.shutdown), .digestBlock, .unblock] {
            let data = CallbackData(choice: choice, shortID: longest)
            #expect(data.text.utf8.count <= 64, "\(data.text)")
            #expect(CallbackData(data.text) == data)
        }
        #expect(CallbackData("v1:block_ip_1h:" + longest + "0") == nil, "33 digits is no short id")
    }

    @Test("an alert the database refuses fails alone; the rest of its batch, from every agent, is stored")
    func failingAlertIsIsolated() async throws {
        let store = try HubStore.inMemory()
        // A real refusal from inside SQLite, as a corrupt row or a constraint would give.
        try await store.writer.write { db in
            try db.execute(
                sql: "CREATE TRIGGER poison BEFORE INSERT ON alert WHEN NEW.agent = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned alert'); END")
        }
        let before = Self.alert(agent: "web-1", ip: "192.0.2.1")
        let poisoned = Self.alert(agent: "poison", ip: "192.0.2.66")
        let after = Self.alert(agent: "db-1", ip: "192.0.2.3")

        let results = try await store.recordAlerts([before, poisoned, after], chats: [Self.chatID], now: Self.now)
        #expect((try? results[0].get()) == true)
        #expect((try? results[1].get()) == nil, "the poisoned alert reports its failure")
        #expect((try? results[2].get()) == true)
        #expect(try await store.alert(id: before.id.uuidString) != nil)
        #expect(try await store.alert(id: after.id.uuidString) != nil)
        #expect(try await store.alert(id: poisoned.id.uuidString) == nil)
        #expect(try await store.pendingMessages().count == 2, "nothing half-written of the failed alert")

        // Through the batcher, as intake uses it: the others are acknowledged, the failed one is not.
        let batcher = AlertWriteBatcher(store: store, chats: { [Self.chatID] }, now: { Self.now })
        let alerts = [Self.alert(ip: "192.0.2.4"), Self.alert(agent: "poison", ip: "192.0.2.67"), Self.alert(agent: "db-1", ip: "192.0.2.5")]
        let outcomes = await withTaskGroup(of: (Int, Bool?).self) { group in
            for (index, alert) in alerts.enumerated() {
                group.addTask { (index, try? await batcher.record(alert)) }
            }
            var outcomes: [Int: Bool?] = [:]
            for await (index, outcome) in group { outcomes[index] = outcome }
            return outcomes
        }
        #expect(outcomes[0] == .some(true))
        #expect(outcomes[1] == .some(nil))
        #expect(outcomes[2] == .some(true))
    }
}
