import Foundation
import Logging
import ServiceLifecycle
import Shared

/// Watches heartbeats: an agent silent for three intervals gets an `agent_offline` alert, and its return a recovery
/// notice. Agents that never sent a heartbeat are not reported (they may not be deployed yet).
struct OfflineMonitor: Service {
    let store: HubStore
    let agents: AgentDirectory
    let roster: ChatRoster
    let logger: Logger
    /// The agents' heartbeat interval; three missed ones mean offline.
    var heartbeatInterval: TimeInterval = 30
    var checkEvery: Duration = .seconds(10)
    let now: @Sendable () -> Date
    let alertStored: @Sendable () -> Void
    /// Where `/metrics` counts store errors.
    var metrics: MetricsRegistry?

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await check()
                try? await Task.sleep(for: checkEvery)
            }
        }
    }

    /// One pass over the agents; raises at most one alert per agent per transition.
    func check() async {
        let storeErrors = StoreErrorReporter(logger: logger, metrics: metrics)
        let heartbeats = storeErrors.attempt("read_heartbeats") { try store.lastHeartbeats() } ?? [:]
        let current = now()
        for agent in agents.ids {
            guard let lastSeen = heartbeats[agent] else { continue }
            let silent = current.timeIntervalSince(lastSeen)
            let isOffline = silent > 3 * heartbeatInterval
            let wasOffline =
                await storeErrors.attempt("read_offline_mark", context: ["agent": "\(agent)"]) { try await store.isMarkedOffline(agent) } ?? false
            guard isOffline != wasOffline else { continue }
            do {
                try await store.markOffline(agent, isOffline)
                let alert = Alert(
                    agent: agent,
                    hostname: agent,
                    kind: isOffline ? .agentOffline : .agentRecovered,
                    severity: isOffline ? .critical : .info,
                    observedAt: current,
                    subject: .agent(
                        AgentEvidence(
                            detail: isOffline ? "no heartbeat for \(MessageTime.span(silent))" : "heartbeats are arriving again",
                            lastSeen: lastSeen
                        )
                    ),
                    actions: [.acknowledge]
                )
                // The batch writer's method: it waits for SQLite without holding a thread of the cooperative pool.
                if case .failure(let error)? = try await store.recordAlerts([alert], chats: roster.deliveryChatIDs(), now: current).first {
                    throw error
                }
                logger.warning("agent \(isOffline ? "offline" : "back online")", metadata: ["agent": "\(agent)"])
                alertStored()
            } catch {
                logger.error("cannot record agent state", metadata: ["agent": "\(agent)", "error": "\(error)"])
            }
        }
    }
}

extension OfflineMonitor: CustomStringConvertible {
    /// How the service group names this service in its logs: no configuration, no secrets.
    var description: String { "OfflineMonitor" }
}
