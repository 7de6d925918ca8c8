import Foundation
import Logging
import Shared

/// The hub's sealed endpoints: `/alert` and `/heartbeat`. A body that opens but does not decode, or an alert that
/// claims another agent's name, is refused with 422 and stored nowhere.
enum IntakeRoutes {
    static func make(intake: AlertIntake, verifier: EnvelopeVerifier, logger: Logger, inventory: InventoryIntake? = nil) -> HTTPRouter {
        var router = HTTPRouter()
        router.addSealed(
            "POST",
            "/alert",
            SealedRoute(verifier: verifier, logger: logger) { envelope in
                await intake.receiveAlert(envelope)
            }
        )
        router.addSealed(
            "POST",
            "/heartbeat",
            SealedRoute(verifier: verifier, logger: logger) { envelope in
                await intake.receiveHeartbeat(envelope)
            }
        )
        if let inventory {
            // Larger than the other routes' 64 KiB: see `InventoryIntake.maxBodyBytes` and `routeBodyLimits`.
            router.addSealed("POST", "/inventory", SealedRoute(verifier: verifier, logger: logger) { envelope in await inventory.receive(envelope) })
        }
        router.add("GET", "/healthz") { _ in .text(.ok, "ok\n") }
        return router
    }
}
