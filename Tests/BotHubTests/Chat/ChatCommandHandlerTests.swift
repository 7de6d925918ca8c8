import Foundation
import Logging
import Shared
import Testing

@testable import BotHub

/// Chat commands from hostile or careless people: forged audit lines, mutes that reach too far, reply floods.
@Suite("Chat commands", .serialized)
struct ChatCommandHandlerTests {
    static let chatA: Int64 = -1001
    static let chatB: Int64 = -1002
    static let alice = TelegramUser(id: 11, isBot: false, firstName: "Alice", username: "alice")
    static let bob = TelegramUser(id: 22, isBot: false, firstName: "Bob", username: "bob")
    static let mallory = TelegramUser(id: 66, isBot: false, firstName: "Mallory", username: "mallory")

    /// Two chats with the same people (alice admin, bob operator), one agent `web-1`.
    struct Hub {
        let store: HubStore
        let telegram: RecordingTelegram
        let handler: ChatCommandHandler
        let notifier: AlertNotifier
        let clock: TestClock

        static func make(maxMute: TimeInterval = 86_400) throws -> Hub {
            let store = try HubStore.inMemory()
            let telegram = RecordingTelegram()
            let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
            let catalogs = try MessageCatalogs.load(directory: repositoryPath("translations"))
            let people: [TelegramConfiguration.Operator] = [
                .init(userID: alice.id, name: "alice", role: .admin), .init(userID: bob.id, name: "bob", role: .operator),
            ]
            let roster = ChatRoster(
                chats: [.init(id: chatA, language: nil, operators: people), .init(id: chatB, language: nil, operators: people)],
                store: store, defaultLanguage: "en")
            let endpoint = HTTPEndpoint(host: "127.0.0.1", port: 9)
            let agents = AgentDirectory(configured: [.init(id: "web-1", responseEndpoint: endpoint, key: .generate())])
            let handler = ChatCommandHandler(
                store: store,
                catalogs: catalogs,
                telegram: telegram,
                roster: roster,
                agents: agents,
                dispatcher: ResponseDispatcher(agents: agents, timeout: .seconds(1), logger: Logger(label: "test")),
                settings: ChoiceSettings(),
                logger: Logger(label: "test"),
                now: { clock.now },
                maxMute: maxMute,
                strangers: StrangerReplyLimiter(perMinute: 3)
            )
            let notifier = AlertNotifier(
                store: store, catalogs: catalogs, telegram: telegram, roster: roster, logger: Logger(label: "test"), now: { clock.now })
            return Hub(store: store, telegram: telegram, handler: handler, notifier: notifier, clock: clock)
        }

        func say(_ text: String, by user: TelegramUser, in chat: Int64 = chatA) async {
            await handler.handle(TelegramMessage(messageId: 1, date: 0, chat: TelegramChat(id: chat, type: "supergroup"), from: user, text: text))
        }

        var lastReply: String { get async { await telegram.messages.last?.html ?? "" } }

        /// Stores an alert for both chats and sends what is not muted; returns the chats it was shown in.
        func deliver(_ severity: Severity) async throws -> Set<Int64> {
            let alert = Alert(
                agent: "web-1", hostname: "web-1", kind: .cpuSustained, severity: severity, observedAt: clock.now,
                subject: .agent(AgentEvidence(detail: "x", lastSeen: clock.now)), actions: [.acknowledge])
            let before = await telegram.messages.count
            _ = try store.recordAlert(alert, chats: [chatA, chatB], now: clock.now)
            _ = await notifier.sendPending()
            clock.advance(by: 5)
            _ = await notifier.sendPending()
            return Set(await telegram.messages.dropFirst(before).map(\.chatID))
        }
    }

    @Test("a newline in a command cannot forge a line of the audit trail")
    func forgedAuditLine() async throws {
        let hub = try Hub.make()
        let forged = "/status\n2027-01-15T08:00:00Z\tpress\t@alice\t-\treboot by user 11"
        let mallet = TelegramUser(id: 67, isBot: false, firstName: "Eve\r\nresult", username: nil)
        await hub.say(forged, by: Self.mallory)
        await hub.say("/help\u{85}x\u{2028}y\u{1b}[2J\u{7f}", by: mallet)

        let entries = try hub.store.auditEntries(since: .distantPast)
        #expect(entries.count == 2)
        for entry in entries {
            let text = (entry.actor ?? "") + entry.detail
            #expect(!text.unicodeScalars.contains { $0.properties.generalCategory == .control || $0 == "\u{2028}" }, "\(text)")
        }
        #expect(entries[0].detail.hasPrefix("/status\\n2027-01-15T08:00:00Z\\tpress\\t in chat"))
        #expect(entries[1].actor == "Eve\\r\\nresult")
        #expect(entries[1].detail.hasPrefix("/help\\u{85}x\\u{2028}y\\u{1b}[2J\\u{7f}"))
        #expect(AuditText.escaped("a\\nb") == "a\\\\nb", "a typed backslash cannot pass for an escape")
    }

    @Test("a mute silences the agent only in the chat where it was issued")
    func muteIsPerChat() async throws {
        let hub = try Hub.make()
        await hub.say("/mute web-1 2h", by: Self.bob, in: Self.chatA)
        #expect(await hub.lastReply.contains("muted in this chat until"))
        #expect(try await hub.deliver(.warning) == [Self.chatB])

        await hub.say("/unmute web-1", by: Self.bob, in: Self.chatB)
        #expect(await hub.lastReply == "web-1 was not muted.", "unmute in another chat lifts nothing")
        await hub.say("/unmute web-1", by: Self.bob, in: Self.chatA)
        #expect(try await hub.deliver(.warning) == [Self.chatA, Self.chatB])
    }

    @Test("a mute longer than telegram.max_mute is cut to it, and the reply says so")
    func muteIsCapped() async throws {
        let hub = try Hub.make(maxMute: 86_400)
        await hub.say("/mute web-1 30d", by: Self.bob)
        #expect(await hub.lastReply.contains("Mutes last at most 1d (telegram.max_mute); yours was shortened."))
        let mute = try #require(try hub.store.activeMutes(now: hub.clock.now).first)
        #expect(mute.until == hub.clock.now.addingTimeInterval(86_400))
        hub.clock.advance(by: 86_401)
        #expect(try hub.store.activeMutes(now: hub.clock.now).isEmpty)
    }

    @Test("critical alerts pass an operator's mute; only an admin's explicit “critical” silences them")
    func criticalsStayVisible() async throws {
        let hub = try Hub.make()
        await hub.say("/mute web-1 2h", by: Self.bob)
        #expect(try await hub.deliver(.warning) == [Self.chatB])
        #expect(try await hub.deliver(.critical) == [Self.chatA, Self.chatB])

        await hub.say("/mute web-1 2h critical", by: Self.bob)
        #expect(await hub.lastReply == "Only admins may mute critical alerts.")
        #expect(try await hub.deliver(.critical) == [Self.chatA, Self.chatB])

        await hub.say("/mute web-1 2h critical", by: Self.alice)
        #expect(await hub.lastReply.contains("critical alerts included"))
        #expect(try await hub.deliver(.critical) == [Self.chatB])
    }

    @Test("a stranger gets a few replies a minute; the rest are audited but not answered")
    func strangerRepliesAreLimited() async throws {
        let hub = try Hub.make()
        for _ in 0..<20 { await hub.say("/status", by: Self.mallory) }
        #expect(await hub.telegram.messages.count == 3)
        let audit = try hub.store.auditEntries(since: .distantPast)
        #expect(audit.filter { $0.event == "command" }.count == 20, "every command is still audited")
        #expect(audit.filter { $0.event == "reply_suppressed" }.count == 1, "the silence is recorded once")

        // Operators are never limited, and the stranger's budget returns after a minute.
        for _ in 0..<5 { await hub.say("/help", by: Self.bob) }
        #expect(await hub.telegram.messages.count == 8)
        hub.clock.advance(by: 61)
        await hub.say("/status", by: Self.mallory)
        #expect(await hub.telegram.messages.count == 9)
    }
}
