import Logging
import Shared

/// The hub's sealed endpoints. Storage and relay to Telegram arrive with the hub issue; until then `/alert` is
/// refused with 503 so an agent's outbox keeps the alert instead of believing it was delivered.
enum IntakeRoutes {
    static func make(verifier: EnvelopeVerifier, logger: Logger) -> HTTPRouter {
        var router = HTTPRouter()
        router.addSealed(
            "POST",
            "/alert",
            SealedRoute(verifier: verifier, logger: logger) { envelope in
                logger.warning(
                    "alert received but the store is not built yet; refusing so the agent retries", metadata: ["agent": "\(envelope.agentID)"])
                return SealedReply(status: .serviceUnavailable, body: [])
            }
        )
        router.add("GET", "/healthz") { _ in .text(.ok, "ok\n") }
        return router
    }
}
