import Foundation
import Logging
import Shared

/// Stores alerts before acknowledging them and wakes the notifier; deduplicates by alert id.
struct AlertIntake: Sendable {
    let store: HubStore
    /// Chats that receive alerts.
    let roster: ChatRoster
    let logger: Logger
    let now: @Sendable () -> Date
    var metrics: MetricsRegistry?
    /// Called after a new alert is stored, so its messages go out at once.
    let alertStored: @Sendable () -> Void
    private let batcher: AlertWriteBatcher

    init(
        store: HubStore,
        roster: ChatRoster,
        logger: Logger,
        now: @escaping @Sendable () -> Date,
        metrics: MetricsRegistry? = nil,
        alertStored: @escaping @Sendable () -> Void
    ) {
        self.store = store
        self.roster = roster
        self.logger = logger
        self.now = now
        self.metrics = metrics
        self.alertStored = alertStored
        self.batcher = AlertWriteBatcher(store: store, chats: { roster.deliveryChatIDs() }, now: now)
    }

    func receiveAlert(_ envelope: OpenedEnvelope) async -> SealedReply {
        let alert: Alert
        do {
            alert = try WireCoding.decode(Alert.self, from: envelope.plaintext)
        } catch {
            logger.warning("refused alert: not an Alert", metadata: ["agent": "\(envelope.agentID)"])
            return SealedReply(status: .unprocessable, body: Array("not an Alert".utf8))
        }
        guard alert.agent == envelope.agentID else {
            logger.warning("refused alert: sealed by another agent", metadata: ["agent": "\(envelope.agentID)", "claimed": "\(alert.agent)"])
            return SealedReply(status: .unprocessable, body: Array("alert.agent does not match the sealing agent".utf8))
        }
        do {
            let isNew = try await batcher.record(alert)
            metrics?.increment(
                "vigil_hub_alerts_received_total",
                help: "Sealed alerts received, by kind, severity and whether they were new.",
                labels: ["kind": alert.kind.rawValue, "severity": alert.severity.rawValue, "duplicate": isNew ? "false" : "true"]
            )
            if isNew {
                logger.info("alert stored", metadata: ["agent": "\(alert.agent)", "kind": "\(alert.kind.rawValue)", "id": "\(alert.id)"])
                alertStored()
            }
            return SealedReply(body: try WireCoding.encode(AlertReceipt(alertId: alert.id, duplicate: !isNew)))
        } catch {
            logger.error("cannot store alert", metadata: ["error": "\(error)"])
            // Not acknowledged: the agent keeps it in its outbox and retries.
            return SealedReply(status: .serviceUnavailable, body: [])
        }
    }

    func receiveHeartbeat(_ envelope: OpenedEnvelope) async -> SealedReply {
        guard let heartbeat = try? WireCoding.decode(Heartbeat.self, from: envelope.plaintext), heartbeat.agent == envelope.agentID else {
            return SealedReply(status: .unprocessable, body: Array("not a Heartbeat from this agent".utf8))
        }
        do {
            try await store.recordHeartbeat(heartbeat, payload: String(decoding: envelope.plaintext, as: UTF8.self), at: now())
            return SealedReply(body: Array("{}".utf8))
        } catch {
            logger.error("cannot store heartbeat", metadata: ["error": "\(error)"])
            return SealedReply(status: .serviceUnavailable, body: [])
        }
    }
}
