import FoundationEssentials
import Logging
import ServiceLifecycle
import Shared

/// Reports how each detector's input is doing (lines read, last line, problem).
protocol DetectorHealthSource: Sendable {
    func detectorHealth() async -> [DetectorHealth]
}

/// Sends a sealed `/heartbeat` every interval with the agent's health, and raises a `detector_unhealthy` alert (through
/// the outbox, so it survives a hub outage) when a detector stops seeing its input: a silent agent is the worst
/// failure of a security tool.
struct HeartbeatSender: Service {
    let agentID: String
    let hostname: String
    let version: String
    let outbox: AlertOutbox
    let health: any DetectorHealthSource
    let client: SealedClient
    let logger: Logger
    var interval: Duration = .seconds(30)
    let started = Date()

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var problems: [String: String] = [:]
            while !Task.isCancelled {
                let detectors = await health.detectorHealth()
                await raiseAlerts(for: detectors, known: &problems)
                await send(detectors)
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// One alert per detector when it turns unhealthy; none while it stays so, a new one if it breaks again later.
    func raiseAlerts(for detectors: [DetectorHealth], known problems: inout [String: String]) async {
        for detector in detectors {
            guard let problem = detector.problem else {
                problems[detector.name] = nil
                continue
            }
            guard problems[detector.name] == nil else { continue }
            problems[detector.name] = problem
            await outbox.submit(
                Alert(
                    agent: agentID,
                    hostname: hostname,
                    kind: .detectorUnhealthy,
                    severity: .warning,
                    observedAt: Date(),
                    subject: .agent(AgentEvidence(detail: "\(detector.name): \(problem)", lastSeen: detector.lastLineAt)),
                    actions: [.acknowledge]
                )
            )
        }
    }

    func send(_ detectors: [DetectorHealth]) async {
        let heartbeat = Heartbeat(
            agent: agentID,
            version: version,
            uptimeSeconds: Int(Date().timeIntervalSince(started)),
            sentAt: Date(),
            queueDepth: await outbox.depth,
            dropped: await outbox.dropped,
            droppedBySeverity: await outbox.droppedBySeverity,
            detectors: detectors
        )
        do {
            _ = try await client.post("/heartbeat", body: try WireCoding.encode(heartbeat))
        } catch {
            if let hint = HubRefusal.hint(for: error) {
                logger.error("heartbeat not delivered: \(hint)")
                return
            }
            logger.notice("heartbeat not delivered", metadata: ["reason": "\(error)"])
        }
    }
}

extension HeartbeatSender: CustomStringConvertible {
    /// How the service group names this service in its logs: no configuration, no secrets.
    var description: String { "HeartbeatSender" }
}
