import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

/// Where a press comes from decides who may make it: a chat's operators, the hub machine, or nobody.
@Suite("Press origins", .serialized, .awaitsTeardown)
struct PressOriginTests {
    typealias Fixture = ChoiceHandlerTests.Fixture

    @Test("a press without a chat (an inline message) is refused, even from an admin, and sends nothing")
    func noChatIsRefused() async throws {
        let hub = try await Fixture.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        let query = TelegramCallbackQuery(id: "q1", from: ChoiceHandlerTests.alice, message: nil, data: hub.data("block_ip_1h"))
        await hub.handler.handle(query)
        #expect(await hub.agent.commands.isEmpty)
        #expect(await hub.telegram.answers.last?.text == "This button works only in the chat the alert was sent to.")
        #expect(try await hub.store.alert(id: hub.alert.id.uuidString)?.status == .open)
        #expect(
            try hub.store.auditEntries(since: .distantPast).contains { $0.event == "press_refused" && $0.detail.hasPrefix("press without a chat") })
    }

    @Test("`bothub choose` on the hub machine still acts, as an admin")
    func hubMachineActs() async throws {
        let hub = try await Fixture.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        let press = Press(userID: 0, name: "local:root", origin: .hubMachine, data: hub.data("block_ip_1h"), reply: { _, _ in })
        await hub.handler.process(press)
        #expect(await hub.agent.commands.map(\.action) == [.blockIP(ip: "203.0.113.9", durationSeconds: 3600)])
    }

    @Test("a stranger's presses get a few answers a minute; every press is still audited")
    func strangerPressesAreLimited() async throws {
        let hub = try await Fixture.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        for index in 0..<10 { await hub.press(hub.data("block_ip_1h"), by: ChoiceHandlerTests.mallory, queryID: "q\(index)") }
        #expect(await hub.telegram.answers.map(\.id) == ["q0", "q1", "q2"])
        #expect(await hub.agent.commands.isEmpty)
        let audit = try hub.store.auditEntries(since: .distantPast)
        #expect(audit.filter { $0.event == "press_refused" }.count == 10)
        #expect(audit.filter { $0.event == "reply_suppressed" }.count == 1)
        // An operator is answered regardless.
        await hub.press(hub.data("acknowledge"), by: ChoiceHandlerTests.bob, queryID: "op")
        #expect(await hub.telegram.answers.last?.id == "op")
    }
}
