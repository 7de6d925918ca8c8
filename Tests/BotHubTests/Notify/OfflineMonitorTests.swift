import Foundation
import Logging
import Shared
import Synchronization
import Testing
import VigilTestSupport

@testable import BotHub

/// Heartbeats watched against a hand-moved clock: silence for three intervals raises one `agent_offline`, the next
/// heartbeat one `agent_recovered`, and an agent that never reported is left alone.
@Suite("Offline monitor")
struct OfflineMonitorTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let chatID: Int64 = -1001

    /// How often the monitor woke the notifier.
    final class WakeCount: Sendable {
        private let count = Atomic<Int>(0)

        func add() { count.add(1, ordering: .relaxed) }
        var value: Int { count.load(ordering: .relaxed) }
    }

    struct Setup: Sendable {
        let store: HubStore
        let clock: TestClock
        let monitor: OfflineMonitor
        let wakes: WakeCount

        /// The alerts stored so far, oldest first, as the agents' wire type.
        func alerts() throws -> [Alert] {
            try store.recentAlerts(limit: 100).reversed().map { try WireCoding.decode(Alert.self, from: Array($0.payload.utf8)) }
        }

        func heartbeat(from agent: String = "web-1") async throws {
            let beat = Heartbeat(agent: agent, version: "1", uptimeSeconds: 5, sentAt: clock.now, queueDepth: 0, dropped: 0, detectors: [])
            try await store.recordHeartbeat(beat, payload: "{}", at: clock.now)
        }
    }

    static func make(checkEvery: Duration = .seconds(10)) throws -> Setup {
        let store = try HubStore.inMemory()
        let clock = TestClock(start)
        let agents = AgentDirectory(configured: [
            .init(id: "web-1", responseEndpoint: HTTPEndpoint(host: "127.0.0.1", port: 9), key: .generate()),
            .init(id: "db-1", responseEndpoint: HTTPEndpoint(host: "127.0.0.1", port: 9), key: .generate()),
        ])
        let roster = ChatRoster(chats: [.init(id: chatID, language: nil, operators: [])], store: store, defaultLanguage: "en")
        let wakes = WakeCount()
        let monitor = OfflineMonitor(
            store: store, agents: agents, roster: roster, logger: Logger(label: "test"), heartbeatInterval: 30, checkEvery: checkEvery,
            now: { clock.now }, alertStored: { wakes.add() })
        return Setup(store: store, clock: clock, monitor: monitor, wakes: wakes)
    }

    @Test("silence up to three heartbeat intervals is not offline")
    func withinThreeIntervals() async throws {
        let setup = try Self.make()
        try await setup.heartbeat()
        setup.clock.advance(by: 90)
        await setup.monitor.check()
        #expect(try setup.alerts().isEmpty)
        #expect(setup.wakes.value == 0)
    }

    @Test("silence past three intervals raises one critical agent_offline, shown in every delivery chat, once")
    func offlineOnce() async throws {
        let setup = try Self.make()
        try await setup.heartbeat()
        setup.clock.advance(by: 91)
        await setup.monitor.check()
        let alerts = try setup.alerts()
        try #require(alerts.count == 1)
        #expect(alerts[0].kind == .agentOffline)
        #expect(alerts[0].severity == .critical)
        #expect(alerts[0].agent == "web-1")
        #expect(alerts[0].actions == [.acknowledge])
        guard case .agent(let evidence) = alerts[0].subject else {
            Issue.record("not an agent alert: \(alerts[0].subject)")
            return
        }
        #expect(evidence.lastSeen == Self.start)
        #expect(evidence.detail.hasPrefix("no heartbeat for "))
        #expect(try await setup.store.pendingMessages().map(\.chatID) == [Self.chatID])
        #expect(setup.wakes.value == 1, "the notifier is woken for the new alert")

        // Still silent at the next checks: no second alert.
        setup.clock.advance(by: 60)
        await setup.monitor.check()
        await setup.monitor.check()
        #expect(try setup.alerts().count == 1)
    }

    @Test("the first heartbeat after an outage raises agent_recovered, once")
    func recoveredOnce() async throws {
        let setup = try Self.make()
        try await setup.heartbeat()
        setup.clock.advance(by: 120)
        await setup.monitor.check()
        setup.clock.advance(by: 5)
        try await setup.heartbeat()
        await setup.monitor.check()
        await setup.monitor.check()
        let alerts = try setup.alerts()
        #expect(alerts.map(\.kind) == [.agentOffline, .agentRecovered])
        #expect(alerts.last?.severity == .info)
        #expect(setup.wakes.value == 2)

        // And a second outage is reported again.
        setup.clock.advance(by: 91)
        await setup.monitor.check()
        #expect(try setup.alerts().map(\.kind) == [.agentOffline, .agentRecovered, .agentOffline])
    }

    @Test("an agent that never sent a heartbeat is not reported (it may not be deployed yet)")
    func neverSeenIsNotReported() async throws {
        let setup = try Self.make()
        try await setup.heartbeat(from: "web-1")
        setup.clock.advance(by: 3600)
        await setup.monitor.check()
        #expect(try setup.alerts().map(\.agent) == ["web-1"], "db-1 never reported, so it is not offline")
    }

    @Test("the running service checks on its own, and stops when cancelled")
    func serviceChecksPeriodically() async throws {
        let setup = try Self.make(checkEvery: .milliseconds(20))
        try await setup.heartbeat()
        let service = Task { try await setup.monitor.run() }
        setup.clock.advance(by: 91)
        try await waitUntil("the service raised agent_offline") { try setup.alerts().map(\.kind) == [.agentOffline] }
        service.cancel()
        _ = await service.result  // returns: the loop ends on cancellation

    }
}
