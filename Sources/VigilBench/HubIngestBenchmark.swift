import ArgumentParser
import Foundation
import Shared

/// Sealed alerts per second a `bothub` process ingests on loopback (stored in SQLite before each receipt), with reply
/// times, against the same number of plain `GET /healthz` requests to the same server as the transport baseline.
struct HubIngestBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub-ingest", abstract: "Sealed alert intake throughput and p99 reply time, vs plain HTTP requests.")

    @Option(help: "Alerts in all.")
    var alerts = 10_000

    @Option(help: "Simulated agents sending at once.")
    var agents = 20

    @Option(help: "Directory of bot.<lang>.yml catalogs.")
    var translations = "translations"

    func run() async throws {
        let identities = (0..<agents).map { (id: "agent-\($0)", key: AgentKey.generate()) }
        let hub = try await HubProcess.start(agents: identities, telegram: nil, translations: translations)
        defer { hub.stop() }
        let perAgent = alerts / agents

        let baseline = try await measure(agents: agents, perAgent: perAgent) { _, _ in
            let reply = try await HTTPClient().send(HTTPRequest(method: "GET", target: "/healthz"), to: hub.endpoint)
            guard reply.status == 200 else { throw BenchError("healthz answered \(reply.status)") }
        }
        let sealed = try await measure(agents: agents, perAgent: perAgent) { agent, number in
            let identity = identities[agent]
            let alert = Alert(
                agent: identity.id,
                hostname: identity.id,
                kind: .sshBruteForce,
                severity: .warning,
                observedAt: Date(),
                subject: .sshBruteForce(SSHBruteForceEvidence(ip: "198.51.100.\(number % 250)", attempts: 6, users: ["root"], windowSeconds: 60)),
                actions: [.blockIP1h]
            )
            let client = SealedClient(endpoint: hub.endpoint, agentID: identity.id, key: identity.key)
            _ = try await client.post("/alert", body: try WireCoding.encode(alert))
        }
        print("\(agents * perAgent) requests from \(agents) concurrent clients, one connection per request")
        print(String(format: "plain GET /healthz : %7.0f req/s   %@", baseline.rate, baseline.latency.text))
        print(String(format: "sealed POST /alert : %7.0f alerts/s %@", sealed.rate, sealed.latency.text))
        print(String(format: "sealed intake runs at %.2f× the plain-request rate", sealed.rate / baseline.rate))
    }

    private func measure(
        agents: Int,
        perAgent: Int,
        _ request: @escaping @Sendable (Int, Int) async throws -> Void
    ) async throws -> (rate: Double, latency: LatencySummary) {
        let started = ContinuousClock.now
        let samples = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for agent in 0..<agents {
                group.addTask {
                    var times: [Duration] = []
                    for number in 0..<perAgent {
                        let start = ContinuousClock.now
                        try await request(agent, number)
                        times.append(ContinuousClock.now - start)
                    }
                    return times
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (Double(samples.count) / seconds, LatencySummary(samples))
    }
}
