import Foundation
import GRDB
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

/// A choice the hub could not finish (killed mid-dispatch, or its store failed) never leaves the alert unanswerable.
@Suite("Choice recovery", .serialized, .system)
struct ChoiceRecoveryTests {
    typealias Fixture = ChoiceHandlerTests.Fixture

    /// The fixture's handler with a metrics registry attached, pressed directly.
    static func press(_ data: String, on hub: Fixture, handler: ChoiceHandler) async {
        let message = TelegramMessage(
            messageId: hub.messageID, date: 0, chat: TelegramChat(id: ChoiceHandlerTests.chatID, type: "supergroup"), text: nil)
        await handler.handle(TelegramCallbackQuery(id: UUID().uuidString, from: ChoiceHandlerTests.bob, message: message, data: data))
    }

    @Test("an outcome the store cannot record is shown with a warning and counted, and a later press reaches the agent")
    func failedFinishDoesNotStick() async throws {
        let hub = try await Fixture.make()
        defer { Task { await hub.agent.stop() } }
        var handler = hub.handler
        let metrics = MetricsRegistry()
        handler.metrics = metrics
        // Given a store that refuses to record any outcome (as a full disk would)
        try await hub.store.writer.write { db in
            try db.execute(sql: "CREATE TRIGGER refuseOutcome BEFORE UPDATE OF outcome ON alert BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END")
        }

        // When an operator blocks
        await Self.press(hub.data("block_ip_1h"), on: hub, handler: handler)

        // Then the agent did it, the chat reads that the hub could not record it, and the error is counted
        #expect(await hub.agent.commands.count == 1)
        let html = await hub.shownHTML
        #expect(html.contains("Block 1 h: done"))
        #expect(html.contains("could not record this choice"))
        #expect(metrics.value(StoreErrorReporter.metricName, labels: ["operation": "finish_alert"]) == 1)

        // And once the store works again and the claim is stale, a press is carried out (not "already handled")
        try await hub.store.writer.write { db in try db.execute(sql: "DROP TRIGGER refuseOutcome") }
        hub.clock.advance(by: ChoiceSettings().staleClaimAfter + 1)
        await Self.press(hub.data("block_ip_1h"), on: hub, handler: handler)
        #expect(await hub.agent.commands.count == 2)
        #expect(try await hub.store.alert(id: hub.alert.id.uuidString)?.status == .handled)
    }

    @Test("a claim younger than the command lifetime still refuses a second press")
    func freshClaimStillRefuses() async throws {
        let hub = try await Fixture.make()
        defer { Task { await hub.agent.stop() } }
        #expect(try await hub.store.claimAlert(id: hub.alert.id.uuidString, choice: "kill_session", by: "@alice", now: hub.clock.now) == .claimed)
        hub.clock.advance(by: ChoiceSettings().commandLifetime)
        await hub.press(hub.data("block_ip_1h"), by: ChoiceHandlerTests.bob)
        #expect(await hub.agent.commands.isEmpty)
        #expect(await hub.telegram.answers.last?.text?.contains("Already handled by @alice") == true)
    }

    @Test("at start, a choice claimed but never sent is reopened, the message says so, and the buttons work again")
    func unsentChoiceIsReopened() async throws {
        let hub = try await Fixture.make()
        defer { Task { await hub.agent.stop() } }
        // Given a hub that stopped between the claim and storing the command
        #expect(try await hub.store.claimAlert(id: hub.alert.id.uuidString, choice: "kill_session", by: "@bob", now: hub.clock.now) == .claimed)

        // When the next run recovers
        #expect(await hub.handler.recoverInterruptedChoices() == 1)

        // Then the alert is open, the message tells what happened, and a press reaches the agent
        #expect(try await hub.store.alert(id: hub.alert.id.uuidString)?.status == .open)
        let html = await hub.shownHTML
        #expect(html.contains("Kill session: the hub stopped before carrying this out"))
        #expect(await hub.telegram.message(hub.messageID)?.keyboard.isEmpty == false)
        #expect(try hub.store.auditEntries(since: .distantPast).contains { $0.event == "recovered" })
        await hub.press(hub.data("kill_session"), by: ChoiceHandlerTests.bob)
        #expect(await hub.agent.commands.map(\.action) == [.killSession(pid: 4242, startTime: 777)])
    }

    @Test("at start, a command stored but unanswered is sent again with the same id and its outcome shown")
    func storedCommandIsSentAgain() async throws {
        let hub = try await Fixture.make()
        defer { Task { await hub.agent.stop() } }
        // Given a hub killed after storing its command and before the agent's answer
        let id = hub.alert.id.uuidString
        #expect(try await hub.store.claimAlert(id: id, choice: "block_ip_1h", by: "@bob", now: hub.clock.now) == .claimed)
        let command = try ResponseCommand(
            for: .blockIP1h, on: hub.alert, by: Operator(telegramUserId: ChoiceHandlerTests.bob.id, name: "@bob"), issuedAt: hub.clock.now,
            lifetime: 120)
        try await hub.store.recordPendingCommand(alertID: id, command: command)

        // When the next run recovers
        #expect(await hub.handler.recoverInterruptedChoices() == 1)

        // Then the same command id reached the agent, and the outcome is recorded and shown
        #expect(await hub.agent.commands.map(\.id) == [command.id])
        let stored = try #require(try await hub.store.alert(id: id))
        #expect(stored.status == .handled)
        #expect(stored.pendingCommand == nil)
        #expect(await hub.shownHTML.contains("Block 1 h: done. Chosen by @bob"))
        #expect(try hub.store.activeBlocks(now: hub.clock.now).map(\.ip) == ["203.0.113.9"])
        #expect(await hub.handler.recoverInterruptedChoices() == 0)
    }
}

/// A dispatcher that checks, at the moment of sending, that the hub already stored what it is sending.
struct StoreCheckingDispatcher: CommandDispatching {
    let store: HubStore
    let seen: SeenCommands

    func dispatch(_ command: ResponseCommand, to agentID: String, now: Date) async -> ResponseResult {
        let stored = try? await store.alert(id: command.alertId?.uuidString ?? "")
        await seen.record(command, storedBeforeSending: stored?.pendingCommand.map { $0.contains(command.id.uuidString) } == true)
        return ResponseResult(commandId: command.id, outcome: .done, finishedAt: now)
    }
}

actor SeenCommands {
    private(set) var entries: [(command: ResponseCommand, storedBeforeSending: Bool)] = []

    func record(_ command: ResponseCommand, storedBeforeSending: Bool) {
        entries.append((command, storedBeforeSending))
    }
}

extension ChoiceRecoveryTests {
    @Test("the command is stored with the claimed alert before it is sent, and cleared once its outcome is recorded")
    func commandStoredBeforeSending() async throws {
        let hub = try await Fixture.make()
        defer { Task { await hub.agent.stop() } }
        let seen = SeenCommands()
        let handler = ChoiceHandler(
            store: hub.store, catalogs: hub.handler.catalogs, telegram: hub.telegram, roster: hub.handler.roster,
            dispatcher: StoreCheckingDispatcher(store: hub.store, seen: seen), settings: ChoiceSettings(), logger: hub.handler.logger,
            now: { hub.clock.now })
        await Self.press(hub.data("block_ip_1h"), on: hub, handler: handler)
        let entries = await seen.entries
        #expect(entries.count == 1)
        #expect(entries.first?.storedBeforeSending == true)
        #expect(try await hub.store.alert(id: hub.alert.id.uuidString)?.pendingCommand == nil)
    }
}
