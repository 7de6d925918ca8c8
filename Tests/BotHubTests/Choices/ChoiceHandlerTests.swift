import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

/// Button presses from the operator's point of view: who may press, what is sent to the agent, what the message shows.
@Suite("Choices", .serialized, .awaitsTeardown)
struct ChoiceHandlerTests {
    static let chatID: Int64 = -1001
    static let alice = TelegramUser(id: 11, isBot: false, firstName: "Alice", username: "alice")
    static let bob = TelegramUser(id: 22, isBot: false, firstName: "Bob", username: "bob")
    static let mallory = TelegramUser(id: 66, isBot: false, firstName: "Mallory", username: "mallory")

    /// A hub with one chat (alice admin, bob operator), one fake agent, and one alert already shown in the chat.
    struct Fixture {
        let store: HubStore
        let telegram: RecordingTelegram
        let agent: FakeAgent
        let handler: ChoiceHandler
        let clock: TestClock
        let alert: Alert
        let messageID: Int64

        static func make(
            actions: [AlertAction] = [.acknowledge, .killSession, .blockIP1h, .reboot], otherChats: [TelegramConfiguration.Chat] = [],
            logger: Logger = Logger(label: "test"), kind: AlertKind = .sshSession, subject: AlertSubject? = nil
        ) async throws -> Fixture {
            let store = try HubStore.inMemory()
            let telegram = RecordingTelegram()
            let agent = FakeAgent()
            try await agent.start()
            let clock = TestClock(Date(timeIntervalSince1970: 1_800_000_000))
            let catalogs = try MessageCatalogs.load(directory: repositoryPath("translations"))
            let chats =
                [
                    TelegramConfiguration.Chat(
                        id: chatID,
                        language: nil,
                        operators: [.init(userID: alice.id, name: "alice", role: .admin), .init(userID: bob.id, name: "bob", role: .operator)]
                    )
                ] + otherChats
            let directory = AgentDirectory(configured: [await agent.entry])
            let roster = ChatRoster(chats: chats, store: store, defaultLanguage: "en")
            let handler = ChoiceHandler(
                store: store,
                catalogs: catalogs,
                telegram: telegram,
                roster: roster,
                dispatcher: ResponseDispatcher(agents: directory, timeout: .seconds(5), logger: Logger(label: "test")),
                settings: ChoiceSettings(),
                logger: logger,
                now: { clock.now }
            )
            let alert = Alert(
                agent: "web-1",
                hostname: "web-1",
                kind: kind,
                severity: .warning,
                observedAt: clock.now,
                subject: subject
                    ?? .sshSession(
                        SSHSessionEvidence(user: "root", ip: "203.0.113.9", port: 50_000, method: "password", pid: 4242, pidStartTime: 777)),
                actions: actions
            )
            _ = try store.recordAlert(alert, chats: [chatID] + otherChats.map(\.id), now: clock.now)
            let notifier = AlertNotifier(store: store, catalogs: catalogs, telegram: telegram, roster: roster, logger: Logger(label: "test"))
            _ = await notifier.sendPending()
            let messageID = try #require(try await store.messageID(alertID: alert.id.uuidString, chatID: chatID))
            return Fixture(store: store, telegram: telegram, agent: agent, handler: handler, clock: clock, alert: alert, messageID: messageID)
        }

        func press(_ data: String, by user: TelegramUser, queryID: String = UUID().uuidString) async {
            let message = TelegramMessage(messageId: messageID, date: 0, chat: TelegramChat(id: chatID, type: "supergroup"), text: nil)
            await handler.handle(TelegramCallbackQuery(id: queryID, from: user, message: message, data: data))
        }

        func data(_ choice: String) -> String { "v1:\(choice):\(ShortID.make(alert.id))" }

        var shownHTML: String {
            get async { await telegram.message(messageID)?.html ?? "" }
        }
    }

    @Test("a press from someone who is not an operator is refused, audited, and sends nothing")
    func strangerIsRefused() async throws {
        let hub = try await Fixture.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.press(hub.data("block_ip_1h"), by: Self.mallory)
        #expect(await hub.agent.commands.isEmpty)
        let answer = try #require(await hub.telegram.answers.last)
        #expect(answer.showAlert)
        #expect(answer.text?.contains("not an operator") == true)
        let audit = try hub.store.auditEntries(since: .distantPast)
        #expect(audit.contains { $0.event == "press_refused" && $0.actor == "@mallory" })
    }

    @Test("an operator's block reaches the agent sealed, with the IP from the stored alert, and the message shows who and what")
    func blockIsDispatched() async throws {
        let hub = try await Fixture.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.agent.answer(.done, detail: "added 203.0.113.9 to blocked4 for 1h")
        await hub.press(hub.data("block_ip_1h"), by: Self.bob)

        let command = try #require(await hub.agent.commands.first)
        #expect(command.action == .blockIP(ip: "203.0.113.9", durationSeconds: 3600))
        #expect(command.requestedBy == Operator(telegramUserId: Self.bob.id, name: "@bob"))
        #expect(command.expiresAt > command.issuedAt)
        let html = await hub.shownHTML
        #expect(html.contains("✅ Block 1 h: done. Chosen by @bob"))
        #expect(html.contains("added 203.0.113.9 to blocked4 for 1h"))
        let keyboard = await hub.telegram.message(hub.messageID)?.keyboard ?? []
        #expect(keyboard.flatMap { $0 }.map(\.callbackData) == [hub.data("unblock")])
        #expect(try hub.store.activeBlocks(now: hub.clock.now).map(\.ip) == ["203.0.113.9"])
    }

    @Test("a second press on a handled alert shows who handled it and sends nothing more")
    func singleUse() async throws {
        let hub = try await Fixture.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.press(hub.data("kill_session"), by: Self.bob)
        await hub.press(hub.data("block_ip_1h"), by: Self.alice)
        #expect(await hub.agent.commands.count == 1)
        #expect(await hub.telegram.answers.last?.text == "Already handled by @bob.")
    }

    @Test("a kill command carries the pid and start time recorded at detection")
    func killCarriesStartTime() async throws {
        let hub = try await Fixture.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.press(hub.data("kill_session"), by: Self.bob)
        #expect(await hub.agent.commands.first?.action == .killSession(pid: 4242, startTime: 777))
    }

    @Test("reboot needs an admin")
    func rebootNeedsAdmin() async throws {
        let hub = try await Fixture.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.press(hub.data("reboot"), by: Self.bob)
        #expect(await hub.agent.commands.isEmpty)
        #expect(await hub.telegram.answers.last?.text == "Only admins may choose “Reboot”.")
    }

    @Test("reboot asks for a second tap, and only the confirmation sends it")
    func rebootIsConfirmed() async throws {
        let hub = try await Fixture.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.press(hub.data("reboot"), by: Self.alice)
        #expect(await hub.agent.commands.isEmpty)
        #expect(await hub.shownHTML.contains("Really reboot <b>web-1</b>?"))
        let keyboard = await hub.telegram.message(hub.messageID)?.keyboard.flatMap { $0 }
        #expect(keyboard?.map(\.callbackData) == [hub.data("confirm_reboot"), hub.data("cancel")])
        #expect(keyboard?.first?.text == "Yes, reboot")

        await hub.press(hub.data("confirm_reboot"), by: Self.alice)
        #expect(await hub.agent.commands.map(\.action) == [.reboot])
    }

    @Test("a confirmation tapped after 60 s is refused")
    func confirmationExpires() async throws {
        let hub = try await Fixture.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.press(hub.data("reboot"), by: Self.alice)
        hub.clock.advance(by: 61)
        await hub.press(hub.data("confirm_reboot"), by: Self.alice)
        #expect(await hub.agent.commands.isEmpty)
        #expect(await hub.telegram.answers.last?.text == "The confirmation expired; press the button again.")
    }

    @Test("a confirmation cannot be forged by pressing confirm without the first tap")
    func confirmWithoutRequest() async throws {
        let hub = try await Fixture.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.press(hub.data("confirm_reboot"), by: Self.alice)
        #expect(await hub.agent.commands.isEmpty)
    }

    @Test("buttons older than 24 h are refused")
    func buttonsExpire() async throws {
        let hub = try await Fixture.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        hub.clock.advance(by: 86_401)
        await hub.press(hub.data("block_ip_1h"), by: Self.bob)
        #expect(await hub.agent.commands.isEmpty)
        #expect(await hub.telegram.answers.last?.text == "This alert is too old to act on.")
    }

    @Test("an action the agent did not offer is refused even with a well-formed button")
    func unofferedAction() async throws {
        let hub = try await Fixture.make(actions: [.acknowledge])
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.press(hub.data("block_ip_permanent"), by: Self.alice)
        #expect(await hub.agent.commands.isEmpty)
    }

    @Test(
        "malformed callback data is refused",
        arguments: ["", "v2:block_ip_1h:abcdefabcdef", "v1:format_disk:abcdefabcdef", "v1:block_ip_1h:zz", "v1:block_ip_1h:000000000000"])
    func malformedData(data: String) async throws {
        let hub = try await Fixture.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.press(data, by: Self.alice)
        #expect(await hub.agent.commands.isEmpty)
        #expect(await hub.telegram.answers.last?.text == "This button is no longer valid.")
    }

    @Test("a refusal from the agent is shown with its reason, and the alert can be answered again")
    func refusalIsShown() async throws {
        let hub = try await Fixture.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.agent.answer(.refused(reason: "203.0.113.9 is in responses.never_block"))
        await hub.press(hub.data("block_ip_1h"), by: Self.bob)
        #expect(await hub.shownHTML.contains("⛔ Block 1 h: refused by the agent (203.0.113.9 is in responses.never_block)"))
        await hub.press(hub.data("acknowledge"), by: Self.bob)
        #expect(try await hub.store.alert(id: hub.alert.id.uuidString)?.status == .handled)
    }

    @Test("an unreachable agent is reported as failed with the reason, never as done")
    func unreachableAgent() async throws {
        let hub = try await Fixture.make()
        await hub.agent.stop()  // returns once the listener is closed
        let refusing = try RefusingPort(await hub.agent.port)
        await hub.press(hub.data("block_ip_1h"), by: Self.bob)
        let html = await hub.shownHTML
        withExtendedLifetime(refusing) {}
        #expect(html.contains("❌ Block 1 h: failed (connection refused (is sentry-agent running on 127.0.0.1:"))
        #expect(!html.contains("✅"))
        #expect(try await hub.store.alert(id: hub.alert.id.uuidString)?.status == .open)
    }

    @Test("acknowledge settles the alert without any command")
    func acknowledge() async throws {
        let hub = try await Fixture.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.press(hub.data("acknowledge"), by: Self.bob)
        #expect(await hub.agent.commands.isEmpty)
        #expect(await hub.shownHTML.contains("👍 Acknowledged by @bob"))
        #expect(await hub.telegram.message(hub.messageID)?.keyboard.isEmpty == true)
    }

    @Test("ignore is its own sentence, not the button label")
    func ignore() async throws {
        let hub = try await Fixture.make(actions: [.acknowledge, .ignore])
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.press(hub.data("ignore"), by: Self.bob)
        #expect(await hub.shownHTML.contains("🙈 Ignored by @bob at "))
    }

    @Test("each chat reads the outcome in its own language, whatever the presser's")
    func outcomeInEachChatsLanguage() async throws {
        let spanishChat = TelegramConfiguration.Chat(id: -2002, language: "es", operators: [.init(userID: Self.bob.id, name: "bob", role: .operator)])
        let hub = try await Fixture.make(otherChats: [spanishChat])
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.press(hub.data("block_ip_1h"), by: Self.bob)
        let english = await hub.telegram.messages.first { $0.chatID == Self.chatID }?.html ?? ""
        let spanish = await hub.telegram.messages.first { $0.chatID == spanishChat.id }?.html ?? ""
        #expect(english.contains("✅ Block 1 h: done. Chosen by @bob at "))
        #expect(spanish.contains("✅ Bloquear 1 h: hecho. Elegido por @bob el "))
        #expect(!spanish.contains("Chosen by"))

        await hub.press(hub.data("unblock"), by: Self.bob)
        #expect(await hub.telegram.messages.first { $0.chatID == spanishChat.id }?.html.contains("✅ Desbloquear 203.0.113.9: hecho.") == true)
        #expect(await hub.telegram.messages.first { $0.chatID == Self.chatID }?.html.contains("✅ Unblock 203.0.113.9: done.") == true)
    }

    @Test("the hub logs each choice, its command and its result in one line")
    func choiceLogLine() async throws {
        let lines = RecordedLog()
        var logger = Logger(label: "test") { _ in lines }
        logger.logLevel = .info
        let hub = try await Fixture.make(logger: logger)
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.press(hub.data("block_ip_1h"), by: Self.bob)
        #expect(lines.messages.contains("@bob chose block_ip_1h on web-1/\(ShortID.make(hub.alert.id)) → done"))
    }

    @Test("unblock after a block sends unblock_ip and clears the block")
    func unblock() async throws {
        let hub = try await Fixture.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.press(hub.data("block_ip_1h"), by: Self.bob)
        await hub.press(hub.data("unblock"), by: Self.bob)
        #expect(await hub.agent.commands.map(\.action).last == .unblockIP(ip: "203.0.113.9"))
        #expect(try hub.store.activeBlocks(now: hub.clock.now).isEmpty)
        #expect(await hub.telegram.message(hub.messageID)?.keyboard.isEmpty == true)
    }

    @Test("every callback query is answered")
    func everyQueryAnswered() async throws {
        let hub = try await Fixture.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        for (index, user) in [Self.mallory, Self.bob, Self.alice].enumerated() {
            await hub.press(hub.data("block_ip_1h"), by: user, queryID: "q\(index)")
        }
        #expect(await hub.telegram.answers.map(\.id) == ["q0", "q1", "q2"])
    }
}
