import Foundation
import Logging
import Testing
import VigilTestSupport

@testable import BotHub
@testable import Shared

/// The buttons of a new_listener alert: what each sends to the agent, which need a second tap or an admin, the
/// Unblock port that follows a Block port, and Mute program, which the hub settles itself.
@Suite("Choices on a new listener", .serialized, .awaitsTeardown)
struct ListenerChoiceTests {
    typealias Fixture = ChoiceHandlerTests.Fixture
    static let key = ListenerKey(transport: "tcp", scope: "any", port: 8080, executable: "/usr/bin/python3", placement: "web.service")
    static let evidence = ListenerEvidence(
        transport: "tcp", address: "0.0.0.0", port: 8080, scope: "any", pid: 4242, pidStartTime: 777, exe: "/usr/bin/python3", unit: "web.service",
        identity: key)
    static let actions: [AlertAction] = [.acknowledge, .acceptListener, .killProcess, .stopService, .stopDisableService, .blockPort, .muteProgram]

    static func make(_ evidence: ListenerEvidence = evidence) async throws -> Fixture {
        try await Fixture.make(actions: actions, kind: .newListener, subject: .listener(evidence))
    }

    @Test("Accept sends the identity the agent put in the evidence, at once")
    func acceptSendsIdentity() async throws {
        let hub = try await Self.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.press(hub.data("accept_listener"), by: ChoiceHandlerTests.bob)
        #expect(await hub.agent.commands.map(\.action) == [.acceptListener(Self.key)])
    }

    @Test("Kill process asks for a second tap, then sends pid, start time and the listener to forget")
    func killIsConfirmed() async throws {
        let hub = try await Self.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.press(hub.data("kill_process"), by: ChoiceHandlerTests.bob)
        #expect(await hub.agent.commands.isEmpty)
        #expect(await hub.shownHTML.contains("Really Kill process on <b>web-1</b>?"))
        let keyboard = await hub.telegram.message(hub.messageID)?.keyboard.flatMap { $0 }
        #expect(keyboard?.map(\.callbackData) == [hub.data("confirm_kill_process"), hub.data("cancel")])
        await hub.press(hub.data("confirm_kill_process"), by: ChoiceHandlerTests.bob)
        #expect(await hub.agent.commands.map(\.action) == [.killProcess(pid: 4242, startTime: 777, listener: Self.key)])
    }

    @Test("Stop service needs an admin; Stop and disable sends disable: true")
    func stopServiceNeedsAdmin() async throws {
        let hub = try await Self.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.press(hub.data("stop_service"), by: ChoiceHandlerTests.bob)
        #expect(await hub.telegram.answers.last?.text == "Only admins may choose “Stop service”.")
        await hub.press(hub.data("stop_disable_service"), by: ChoiceHandlerTests.alice)
        await hub.press(hub.data("confirm_stop_disable_service"), by: ChoiceHandlerTests.alice)
        #expect(await hub.agent.commands.map(\.action) == [.stopService(unit: "web.service", disable: true, listener: Self.key)])
    }

    @Test("a listener without a unit gets no stop command: the hub refuses to build one")
    func noUnitNoStop() {
        var evidence = Self.evidence
        evidence.unit = nil
        let alert = Alert(
            agent: "web-1", hostname: "web-1", kind: .newListener, severity: .warning, observedAt: Date(), subject: .listener(evidence),
            actions: Self.actions)
        #expect(throws: CommandConstructionError(description: "the listener runs in no systemd unit")) {
            try ResponseCommand(for: .stopService, on: alert, by: Operator(telegramUserId: 1, name: "a"), issuedAt: Date(), lifetime: 120)
        }
    }

    @Test("Block port is confirmed, then offers Unblock port, which sends unblock_port")
    func blockThenUnblockPort() async throws {
        let hub = try await Self.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.agent.answer(.done, detail: "dropped tcp/8080 from everywhere but loopback")
        await hub.press(hub.data("block_port"), by: ChoiceHandlerTests.bob)
        await hub.press(hub.data("confirm_block_port"), by: ChoiceHandlerTests.bob)
        #expect(await hub.agent.commands.map(\.action) == [.blockPort(transport: "tcp", port: 8080)])
        let keyboard = await hub.telegram.message(hub.messageID)?.keyboard.flatMap { $0 } ?? []
        #expect(keyboard.map(\.text) == ["Unblock tcp/8080"])
        #expect(keyboard.map(\.callbackData) == [hub.data("unblock")])
        await hub.press(hub.data("unblock"), by: ChoiceHandlerTests.bob)
        #expect(await hub.agent.commands.map(\.action).last == .unblockPort(transport: "tcp", port: 8080))
    }

    @Test("Mute program sends nothing and hides this program's later non-critical listener alerts from this agent")
    func muteProgram() async throws {
        let hub = try await Self.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.press(hub.data("mute_program"), by: ChoiceHandlerTests.bob)
        #expect(await hub.agent.commands.isEmpty)
        let mutes = try hub.store.activeMutes(now: hub.clock.now)
        #expect(mutes.map(\.target) == ["program:web-1:/usr/bin/python3"])
        #expect(mutes.allSatisfy { !$0.includesCritical && $0.until == hub.clock.now.addingTimeInterval(30 * 86_400) })
        #expect(await hub.shownHTML.contains("Program muted by @bob"))

        func stored(_ severity: Severity, exe: String, agent: String = "web-1") async throws -> StoredAlert {
            var evidence = Self.evidence
            evidence.exe = exe
            let alert = Alert(
                agent: agent, hostname: agent, kind: .newListener, severity: severity, observedAt: hub.clock.now, subject: .listener(evidence),
                actions: [])
            _ = try hub.store.recordAlert(alert, chats: [ChoiceHandlerTests.chatID], now: hub.clock.now)
            return try #require(try await hub.store.alert(id: alert.id.uuidString))
        }
        let mute = try #require(mutes.first)
        #expect(mute.hides(try await stored(.warning, exe: "/usr/bin/python3"), in: ChoiceHandlerTests.chatID))
        #expect(!mute.hides(try await stored(.critical, exe: "/usr/bin/python3"), in: ChoiceHandlerTests.chatID))
        #expect(!mute.hides(try await stored(.warning, exe: "/usr/bin/node"), in: ChoiceHandlerTests.chatID))
        #expect(!mute.hides(try await stored(.warning, exe: "/usr/bin/python3", agent: "db-1"), in: ChoiceHandlerTests.chatID))
    }
}
