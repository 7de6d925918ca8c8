import Foundation
import Logging
import Shared
import Testing

@testable import BotHub

@Suite("Notifier flow control")
struct AlertNotifierTests {
    static func alert(_ index: Int) -> Alert {
        Alert(
            agent: "web-1",
            hostname: "web-1",
            kind: .sshSession,
            severity: .info,
            observedAt: Date(timeIntervalSince1970: 1_800_000_000 + Double(index)),
            subject: .sshSession(
                SSHSessionEvidence(user: "deploy", ip: "192.0.2.\(index)", port: 22, method: "publickey", pid: 100, pidStartTime: 1)),
            actions: [.acknowledge]
        )
    }

    static func make(chats: [Int64], clock: TestClock) throws -> (HubStore, RecordingTelegram, AlertNotifier) {
        let store = try HubStore.inMemory()
        let telegram = RecordingTelegram()
        let catalogs = try MessageCatalogs.load(directory: repositoryPath("translations"))
        let roster = ChatRoster(chats: chats.map { .init(id: $0, language: nil, operators: []) }, store: store, defaultLanguage: "en")
        // Digests are tested on their own; here every alert must be sent alone.
        let notifier = AlertNotifier(
            store: store,
            catalogs: catalogs,
            telegram: telegram,
            roster: roster,
            digests: DigestSettings(threshold: 1000, window: 60),
            logger: Logger(label: "test"),
            now: { clock.now }
        )
        return (store, telegram, notifier)
    }

    @Test("a private chat gets at most one message a second; the rest wait their turn, in order")
    func privateRate() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        let (store, telegram, notifier) = try Self.make(chats: [42], clock: clock)
        for index in 0..<3 { _ = try store.recordAlert(Self.alert(index), chats: [42], now: clock.now) }
        let wait = await notifier.sendPending()
        #expect(await telegram.messages.count == 1)
        #expect(wait > .zero && wait <= .seconds(1))
        clock.advance(by: 1)
        _ = await notifier.sendPending()
        #expect(await telegram.messages.count == 2)
        clock.advance(by: 1)
        _ = await notifier.sendPending()
        #expect(await telegram.messages.map(\.html).map { $0.contains("192.0.2.2") } == [false, false, true])
    }

    @Test("a group gets at most 20 messages a minute")
    func groupRate() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        let (store, telegram, notifier) = try Self.make(chats: [-100], clock: clock)
        for index in 0..<25 { _ = try store.recordAlert(Self.alert(index), chats: [-100], now: clock.now) }
        _ = await notifier.sendPending()
        #expect(await telegram.messages.count == 20)
        clock.advance(by: 59)
        _ = await notifier.sendPending()
        #expect(await telegram.messages.count == 20)
        clock.advance(by: 1)
        _ = await notifier.sendPending()
        #expect(await telegram.messages.count == 25)
    }

    @Test("a 429 holds that chat for exactly retry_after while another chat keeps flowing")
    func retryAfter() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        let (store, telegram, notifier) = try Self.make(chats: [-100, -200], clock: clock)
        _ = try store.recordAlert(Self.alert(1), chats: [-100], now: clock.now)
        _ = try store.recordAlert(Self.alert(2), chats: [-200], now: clock.now)
        await telegram.failNextSend(TelegramError(method: "sendMessage", code: 429, detail: "Too Many Requests: retry after 7", retryAfter: 7))
        let wait = await notifier.sendPending()
        #expect(await telegram.messages.map(\.chatID) == [-200])
        #expect(wait == .seconds(7))
        clock.advance(by: 6.9)
        _ = await notifier.sendPending()
        #expect(await telegram.messages.count == 1)
        clock.advance(by: 0.1)
        _ = await notifier.sendPending()
        #expect(await telegram.messages.map(\.chatID) == [-200, -100])
    }

    @Test("a group upgraded to a supergroup is followed, and later alerts go there")
    func migration() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        let (store, telegram, notifier) = try Self.make(chats: [-100], clock: clock)
        _ = try store.recordAlert(Self.alert(1), chats: [-100], now: clock.now)
        await telegram.failNextSend(
            TelegramError(
                method: "sendMessage", code: 400, detail: "Bad Request: group chat was upgraded to a supergroup chat", migrateToChatID: -1009))
        _ = await notifier.sendPending()
        _ = await notifier.sendPending()
        #expect(await telegram.messages.map(\.chatID) == [-1009])
        let roster = ChatRoster(chats: [.init(id: -100, language: nil, operators: [])], store: store, defaultLanguage: "en")
        #expect(roster.deliveryChatIDs() == [-1009])
        #expect(roster.configured(-1009)?.id == -100)
    }

    @Test("a chat that blocked the bot is marked, and its message fails with the reason instead of retrying forever")
    func blocked() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        let (store, telegram, notifier) = try Self.make(chats: [42], clock: clock)
        _ = try store.recordAlert(Self.alert(1), chats: [42], now: clock.now)
        await telegram.failNextSend(TelegramError(method: "sendMessage", code: 403, detail: "Forbidden: bot was blocked by the user"))
        _ = await notifier.sendPending()
        #expect(try await store.isChatBlocked(42))
        #expect(try await store.pendingMessages().isEmpty)
    }

    @Test("a server error backs off and the message is sent on a later pass, not lost")
    func serverError() async throws {
        let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
        let (store, telegram, notifier) = try Self.make(chats: [42], clock: clock)
        _ = try store.recordAlert(Self.alert(1), chats: [42], now: clock.now)
        await telegram.failNextSend(TelegramError(method: "sendMessage", code: 502, detail: "Bad Gateway"))
        _ = await notifier.sendPending()
        #expect(await telegram.messages.isEmpty)
        clock.advance(by: 1)
        _ = await notifier.sendPending()
        #expect(await telegram.messages.count == 1)
    }
}
