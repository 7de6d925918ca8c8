import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

/// A flood becomes one message that grows in place; nobody is buried in notifications.
@Suite("Digests", .serialized, .awaitsTeardown)
struct DigestTests {
    static let chatID: Int64 = -100
    static let operatorUser = TelegramUser(id: 7, isBot: false, firstName: "Op", username: "op")

    static func burst(_ index: Int, ip: String, severity: Severity = .warning) -> Alert {
        Alert(
            agent: "web-1",
            hostname: "web-1",
            kind: .http404Burst,
            severity: severity,
            observedAt: Date(timeIntervalSince1970: 1_800_000_000),
            subject: .http404(HTTP404Evidence(ip: ip, count: 25, distinctPaths: 25, samplePaths: ["/.env"], windowSeconds: 60)),
            actions: [.ignore, .blockIP1h]
        )
    }

    struct Hub {
        let store: HubStore
        let telegram: RecordingTelegram
        let notifier: AlertNotifier
        let clock: TestClock
        let roster: ChatRoster
        let catalogs: MessageCatalogs
    }

    static func make() throws -> Hub {
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        let store = try HubStore.inMemory()
        let telegram = RecordingTelegram()
        let catalogs = try MessageCatalogs.load(directory: repositoryPath("translations"))
        let roster = ChatRoster(
            chats: [.init(id: chatID, language: nil, operators: [.init(userID: operatorUser.id, name: "op", role: .operator)])],
            store: store,
            defaultLanguage: "en"
        )
        let notifier = AlertNotifier(
            store: store,
            catalogs: catalogs,
            telegram: telegram,
            roster: roster,
            rates: .init(privatePerSecond: 1, groupPerMinute: 1000),
            digests: DigestSettings(threshold: 10, window: 60),
            logger: Logger(label: "test"),
            now: { clock.now }
        )
        return Hub(store: store, telegram: telegram, notifier: notifier, clock: clock, roster: roster, catalogs: catalogs)
    }

    @Test("past 10 alerts of one kind from one agent in 60 s, the rest fold into one digest edited in place")
    func floodBecomesDigest() async throws {
        let hub = try Self.make()
        for index in 0..<40 {
            _ = try hub.store.recordAlert(Self.burst(index, ip: "198.51.100.\(index % 12)"), chats: [Self.chatID], now: hub.clock.now)
            hub.clock.advance(by: 0.5)
            _ = await hub.notifier.sendPending()
        }
        let messages = await hub.telegram.messages
        #expect(messages.count == 11, "10 alerts and one digest, not 40 messages")
        let digest = try #require(messages.last)
        #expect(digest.html.contains("30 × burst of HTTP 404s from 12 addresses"))
        #expect(digest.keyboard.flatMap { $0 }.map(\.text) == ["Block top 10 for 1 h", "Show all"])
        #expect(await hub.telegram.edits > 0)
        #expect(try await hub.store.pendingMessages().isEmpty)
    }

    @Test("the first critical alert of a kind is never folded into a digest")
    func criticalStandsAlone() async throws {
        let hub = try Self.make()
        for index in 0..<15 {
            _ = try hub.store.recordAlert(Self.burst(index, ip: "198.51.100.\(index)"), chats: [Self.chatID], now: hub.clock.now)
        }
        let critical = Self.burst(99, ip: "203.0.113.66", severity: .critical)
        _ = try hub.store.recordAlert(critical, chats: [Self.chatID], now: hub.clock.now)
        _ = await hub.notifier.sendPending()
        _ = await hub.notifier.sendPending()
        #expect(await hub.telegram.messages.contains { $0.html.contains("203.0.113.66") && $0.html.contains("Critical") })
    }

    @Test("“Block top 10” blocks the ten addresses behind most alerts, through the agent, and shows the tally")
    func blockTopTen() async throws {
        let hub = try Self.make()
        let agent = FakeAgent()
        try await agent.start()
        atTestEnd { [agent] in await agent.stop() }
        for index in 0..<60 {
            _ = try hub.store.recordAlert(Self.burst(index, ip: "198.51.100.\(index % 15)"), chats: [Self.chatID], now: hub.clock.now)
        }
        _ = await hub.notifier.sendPending()
        _ = await hub.notifier.sendPending()
        let digestMessage = try #require(await hub.telegram.messages.last)
        let blockData = try #require(digestMessage.keyboard.first?.first?.callbackData)

        let handler = ChoiceHandler(
            store: hub.store,
            catalogs: hub.catalogs,
            telegram: hub.telegram,
            roster: hub.roster,
            dispatcher: ResponseDispatcher(
                agents: AgentDirectory(configured: [await agent.entry]), timeout: .seconds(5), logger: Logger(label: "test")),
            settings: ChoiceSettings(),
            logger: Logger(label: "test"),
            now: { hub.clock.now }
        )
        let message = TelegramMessage(messageId: digestMessage.messageID, date: 0, chat: TelegramChat(id: Self.chatID, type: "supergroup"), text: nil)
        await handler.handle(TelegramCallbackQuery(id: "q1", from: Self.operatorUser, message: message, data: blockData))

        let blocked = await agent.commands.compactMap { command -> String? in
            if case .blockIP(let ip, 3600) = command.action { return ip }
            return nil
        }
        #expect(blocked.count == 10)
        #expect(Set(blocked).count == 10)
        #expect(await hub.telegram.message(digestMessage.messageID)?.html.contains("10 addresses blocked, 0 addresses not blocked") == true)
    }
}
