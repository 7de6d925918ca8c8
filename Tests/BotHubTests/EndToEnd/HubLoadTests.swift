import Foundation
import GRDB
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

/// Bounded load on loopback: 10,000 sealed alerts from 20 simulated agents, the hub restarted in the middle, Telegram
/// rate limits enforced by the fake. Nothing may be lost, duplicated or over-sent.
extension HubProcessTests {
    @Suite("Hub under load", .serialized)
    struct HubLoadTests {
        static let agentCount = 20
        static let alertsPerAgent = 500

        /// A simulated agent: sends its alerts in order and retries each until the hub's sealed receipt, as the outbox does.
        struct SimulatedAgent: Sendable {
            let entry: HubConfiguration.AgentEntry
            let alerts: [Alert]

            static func make(index: Int) -> SimulatedAgent {
                let id = "agent-\(index)"
                let alerts = (0..<HubLoadTests.alertsPerAgent).map { number in
                    Alert(
                        agent: id,
                        hostname: id,
                        kind: .http404Burst,
                        severity: .warning,
                        observedAt: Date(),
                        subject: .http404(
                            HTTP404Evidence(
                                ip: "198.51.\(index).\(number % 250)", count: 25, distinctPaths: 20, samplePaths: ["/.env"], windowSeconds: 60)
                        ),
                        actions: [.ignore, .blockIP1h]
                    )
                }
                return SimulatedAgent(
                    entry: .init(id: id, responseEndpoint: HTTPEndpoint(host: "127.0.0.1", port: 9), key: .generate()),
                    alerts: alerts
                )
            }

            /// Returns how many attempts it took in all (retries included).
            func deliver(to endpoint: HTTPEndpoint, acknowledged: AckCounter) async -> Int {
                let client = SealedClient(endpoint: endpoint, agentID: entry.id, key: entry.key, http: HTTPClient(timeout: .seconds(5)))
                var attempts = 0
                for alert in alerts {
                    let body = (try? WireCoding.encode(alert)) ?? []
                    while true {
                        attempts += 1
                        if let reply = try? await client.post("/alert", body: body),
                            (try? WireCoding.decode(AlertReceipt.self, from: reply))?.alertId == alert.id
                        {
                            await acknowledged.add()
                            break
                        }
                        try? await Task.sleep(for: .milliseconds(20))
                    }
                }
                return attempts
            }
        }

        actor AckCounter {
            private(set) var count = 0
            func add() { count += 1 }
        }

        @Test("10,000 alerts from 20 agents, hub restarted mid-flood: all stored once, Telegram never over its limits, 429s retried")
        func flood() async throws {
            var configuration = FakeTelegramConfiguration()
            configuration.enforcesRateLimits = true
            try await FakeTelegramServer.withServer(configuration) { telegram in
                let agents = (0..<Self.agentCount).map(SimulatedAgent.make)
                let port = try FreePort.loopback()
                let harness = try await HubHarness.make(telegram: telegram, agents: agents.map(\.entry), port: port)
                defer { harness.cleanUp() }
                await telegram.failNext("sendMessage", status: 429, description: "Too Many Requests: retry after 2", retryAfter: 2)

                var hub = try await harness.start()
                let acknowledged = AckCounter()
                let started = ContinuousClock.now
                let flood = Task {
                    await withTaskGroup(of: Int.self) { group in
                        for agent in agents {
                            group.addTask { await agent.deliver(to: HTTPEndpoint(host: "127.0.0.1", port: port), acknowledged: acknowledged) }
                        }
                        return await group.reduce(0, +)
                    }
                }
                try await waitUntil("half the alerts acknowledged", timeout: .seconds(120), poll: .milliseconds(10)) {
                    await acknowledged.count >= Self.agentCount * Self.alertsPerAgent / 2
                }
                await hub.stop()
                let restartedAt = Date()
                hub = try await harness.start()
                let attempts = await flood.value
                let elapsed = ContinuousClock.now - started
                print("load: \(Self.agentCount * Self.alertsPerAgent) alerts acknowledged in \(elapsed) with \(attempts) attempts, restart included")

                let stored = try await hub.runtime.store.writer.read { db in try String.fetchAll(db, sql: "SELECT id FROM alert") }
                let sent = Set(agents.flatMap(\.alerts).map(\.id.uuidString))
                #expect(stored.count == sent.count, "lost or duplicated alerts")
                #expect(Set(stored) == sent)
                let messages = try await hub.runtime.store.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM message") ?? 0 }
                #expect(messages == sent.count, "one message row per alert, none twice")

                // The notifier works through its queue under the fake's enforced limits until it has met a 429 and sent
                // successfully after it: the evidence the checks below read.
                _ = try await telegram.waitUntil(timeout: .seconds(60)) { server -> Bool? in
                    let calls = server.calls(to: "sendMessage")
                    guard let limited = calls.first(where: { $0.status == 429 }) else { return nil }
                    return calls.contains { $0.time > limited.time && $0.succeeded } ? true : nil
                }
                await hub.stop()
                let calls = await telegram.calls(to: "sendMessage")
                let limited = try #require(calls.first { $0.status == 429 })
                let retry = try #require(calls.first { $0.time > limited.time && $0.succeeded })
                #expect(retry.time.timeIntervalSince(limited.time) >= 1.95, "retry_after was honoured")
                #expect(await telegram.rateViolations.isEmpty)
                // Any 60-second window of one hub process, not the whole run: on a loaded machine the flood outlasts a
                // minute. The pacer is in memory, so a restarted hub starts a fresh window (Telegram's own limit,
                // checked by the fake above, still holds across the restart).
                let sentTimes = calls.filter(\.succeeded).map(\.time).sorted()
                for run in [sentTimes.filter { $0 < restartedAt }, sentTimes.filter { $0 >= restartedAt }] {
                    let busiestMinute = run.map { start in run.filter { $0 >= start && $0.timeIntervalSince(start) < 60 }.count }.max() ?? 0
                    #expect(busiestMinute <= 20, "a group gets at most 20 messages a minute from one hub")
                }
                #expect(await telegram.specViolations.isEmpty)
            }
        }
    }
}
