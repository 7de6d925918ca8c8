import ArgumentParser
import Foundation
import Shared

/// Time from an agent's sealed `POST /alert` to the hub's `sendMessage` arriving at a Telegram stub, one alert at a time
/// and spaced so no rate limit applies; the baseline is the sealed POST's own round trip in the same run.
struct AlertLatencyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alert-latency", abstract: "Agent → Telegram latency of one alert, vs the sealed POST alone.")

    @Option(help: "Alerts to time (one per 1.05 s: a private chat's limit is 1 message a second).")
    var samples = 30

    @Option(help: "Directory of bot.<lang>.yml catalogs.")
    var translations = "translations"

    func run() async throws {
        let stub = TelegramStub()
        let url = try await stub.start()
        defer { Task { await stub.stop() } }
        let agent = (id: "web-1", key: AgentKey.generate())
        let hub = try await HubProcess.start(agents: [agent], telegram: (url, TelegramStub.token, 4242), translations: translations)
        defer { hub.stop() }
        let client = SealedClient(endpoint: hub.endpoint, agentID: agent.id, key: agent.key)

        var endToEnd: [Duration] = []
        var postOnly: [Duration] = []
        for number in 0..<samples {
            let before = await stub.sendTimes.count
            let alert = Alert(
                agent: agent.id,
                hostname: agent.id,
                kind: .sshSession,
                severity: .warning,
                observedAt: Date(),
                subject: .sshSession(
                    SSHSessionEvidence(user: "root", ip: "198.51.100.\(number)", port: 22, method: "password", pid: 1, pidStartTime: 1)),
                actions: [.acknowledge, .blockIP1h]
            )
            let sentAt = Date()
            let start = ContinuousClock.now
            _ = try await client.post("/alert", body: try WireCoding.encode(alert))
            postOnly.append(ContinuousClock.now - start)
            while await stub.sendTimes.count == before { try await Task.sleep(for: .microseconds(200)) }
            let arrived = await stub.sendTimes[before]
            endToEnd.append(.microseconds(Int64(arrived.timeIntervalSince(sentAt) * 1_000_000)))
            try await Task.sleep(for: .milliseconds(1050))
        }
        print("\(samples) alerts, one at a time")
        print("sealed POST /alert round trip : \(LatencySummary(postOnly).text)")
        print("agent → Telegram sendMessage  : \(LatencySummary(endToEnd).text)")
    }
}
