import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

/// "Block top 10" on a digest: it blocks exactly what the message lists, once, and not after 24 h.
@Suite("Digest buttons", .serialized, .awaitsTeardown)
struct DigestButtonTests {
    struct Setup {
        let hub: DigestTests.Hub
        let agent: FakeAgent
        let handler: ChoiceHandler
        let digest: RecordingTelegram.Sent

        /// A flood of 60 alerts from 15 addresses, folded into a digest and shown.
        static func make() async throws -> Setup {
            let hub = try DigestTests.make()
            let agent = FakeAgent()
            try await agent.start()
            for index in 0..<60 {
                _ = try hub.store.recordAlert(
                    DigestTests.burst(index, ip: "198.51.100.\(index % 15)"), chats: [DigestTests.chatID], now: hub.clock.now)
            }
            _ = await hub.notifier.sendPending()
            _ = await hub.notifier.sendPending()
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
            return Setup(hub: hub, agent: agent, handler: handler, digest: try #require(await hub.telegram.messages.last))
        }

        func pressBlock() async throws {
            let data = try #require(digest.keyboard.first?.first?.callbackData)
            let message = TelegramMessage(
                messageId: digest.messageID, date: 0, chat: TelegramChat(id: DigestTests.chatID, type: "supergroup"), text: nil)
            await handler.handle(TelegramCallbackQuery(id: UUID().uuidString, from: DigestTests.operatorUser, message: message, data: data))
        }

        var blocked: [String] {
            get async {
                await agent.commands.compactMap { command in
                    if case .blockIP(let ip, 3600) = command.action { return ip }
                    return nil
                }
            }
        }
    }

    @Test("the digest message lists every address its block button blocks")
    func listsEveryBlockedAddress() async throws {
        let setup = try await Setup.make()
        atTestEnd { [agent = setup.agent] in await agent.stop() }
        #expect(setup.digest.keyboard.first?.first?.text == "Block top 10 for 1 h")
        try await setup.pressBlock()
        let blocked = await setup.blocked
        #expect(blocked.count == 10)
        let listed = setup.digest.html.components(separatedBy: "Top: ").last ?? ""
        for ip in blocked { #expect(listed.contains("\(ip) ("), "\(ip) was blocked but not shown") }
        #expect(listed.components(separatedBy: "198.51.100.").count - 1 == 10, "and nothing else is listed as top")
    }

    @Test("the block button is single use: a second press says who handled it and blocks nothing more")
    func singleUse() async throws {
        let setup = try await Setup.make()
        atTestEnd { [agent = setup.agent] in await agent.stop() }
        try await setup.pressBlock()
        try await setup.pressBlock()
        #expect(await setup.agent.commands.count == 10)
        #expect(await setup.hub.telegram.answers.last?.text == "Already handled by @op.")
    }

    @Test("the block button expires 24 h after the digest's last alert")
    func expires() async throws {
        let setup = try await Setup.make()
        atTestEnd { [agent = setup.agent] in await agent.stop() }
        setup.hub.clock.advance(by: 86_401)
        try await setup.pressBlock()
        #expect(await setup.agent.commands.isEmpty)
        #expect(await setup.hub.telegram.answers.last?.text == "This alert is too old to act on.")
    }
}
