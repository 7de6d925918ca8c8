import FoundationEssentials
import Logging
import ServiceLifecycle
import Shared

/// Sends the outbox's alerts to the hub's sealed `/alert`, oldest first, and removes each only after the hub's sealed
/// receipt. Failures back off exponentially with jitter, capped at 60 s. Delivery is at-least-once; the hub
/// deduplicates by alert id, so display is exactly-once.
struct OutboxDelivery: Service {
    let outbox: AlertOutbox
    let client: SealedClient
    let logger: Logger
    var maxBackoff: Duration = .seconds(60)
    var initialBackoff: Duration = .milliseconds(500)

    /// Retries are counted for the metrics and heartbeat.
    let retries = RetryCounter()

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var failures = 0
            var outage = DeliveryOutage()
            while !Task.isCancelled {
                guard let alert = await outbox.oldest() else {
                    if let recovered = outage.drained() { logger.notice("\(recovered)") }
                    await outbox.waitForArrival(upTo: .seconds(30))
                    continue
                }
                switch await deliver(alert) {
                case .delivered, .rejected:
                    failures = 0
                    outage.delivered()
                    await outbox.acknowledge(alert.id)
                case .retry:
                    failures += 1
                    outage.failed()
                    await retries.increment()
                    try? await Task.sleep(for: backoff(after: failures))
                }
            }
        }
    }

    enum Attempt: Equatable { case delivered, rejected, retry }

    func deliver(_ alert: Alert) async -> Attempt {
        do {
            let reply = try await client.post("/alert", body: try WireCoding.encode(alert))
            guard let receipt = try? WireCoding.decode(AlertReceipt.self, from: reply), receipt.alertId == alert.id else {
                logger.warning("hub receipt does not match the alert; retrying", metadata: ["alert": "\(alert.id)"])
                return .retry
            }
            return .delivered
        } catch let error as SealedClientError {
            if let hint = HubRefusal.hint(for: error) {
                logger.error("\(hint); will retry", metadata: ["alert": "\(alert.id)"])
                return .retry
            }
            switch error.code {
            case .rejected(let status) where Self.isFinal(status):
                // The hub itself (its seal proves it) will never accept this alert; keeping it would block the queue forever.
                logger.error("hub rejected an alert for good; dropping it", metadata: ["alert": "\(alert.id)", "status": "\(status)"])
                return .rejected
            case .status(let status) where Self.isFinal(status):
                // Unsealed, so not from the hub: a proxy's body limit or a spoofed host must not make alerts vanish.
                logger.warning(
                    "an unsealed refusal is not from the hub; keeping the alert and retrying",
                    metadata: ["alert": "\(alert.id)", "status": "\(status)"])
                return .retry
            default:
                break
            }
            logger.notice("alert delivery failed; will retry", metadata: ["alert": "\(alert.id)", "reason": "\(error)"])
            return .retry
        } catch {
            return .retry
        }
    }

    /// Statuses that mean "never, whatever you retry" when the hub seals them.
    static func isFinal(_ status: Int) -> Bool {
        status == 400 || status == 413 || status == 422
    }

    /// Exponential backoff with "equal jitter": half fixed, half random, so many agents do not retry in lockstep.
    func backoff(after failures: Int) -> Duration {
        let exponent = min(failures - 1, 16)
        let base = min(maxBackoff, initialBackoff * (1 << exponent))
        let half = base / 2
        return half + half * Double.random(in: 0...1)
    }
}

/// Whether deliveries have been failing, so that the recovery is logged once, after the backlog is through, rather
/// than one "delivered" line per alert.
struct DeliveryOutage {
    private var failing = false
    private var deliveredSince = 0

    mutating func failed() {
        failing = true
    }

    mutating func delivered() {
        if failing { deliveredSince += 1 }
    }

    /// The recovery line when the outbox has just emptied after an outage in which alerts then got through.
    mutating func drained() -> String? {
        guard failing, deliveredSince > 0 else { return nil }
        defer {
            failing = false
            deliveredSince = 0
        }
        return "hub reachable again; \(deliveredSince) queued alert\(deliveredSince == 1 ? "" : "s") delivered"
    }
}

/// A counter shared between a service and whoever reports on it.
actor RetryCounter {
    private(set) var value = 0

    func increment() {
        value += 1
    }
}

extension OutboxDelivery: CustomStringConvertible {
    /// How the service group names this service in its logs: no configuration, no secrets.
    var description: String { "OutboxDelivery" }
}
