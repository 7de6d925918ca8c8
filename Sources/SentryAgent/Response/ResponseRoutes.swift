import Foundation
import Logging
import Shared

/// The agent's sealed `/response` endpoint. The executor arrives with the responses issue; until then every
/// command is answered `refused`, so nothing is reported done that was not done.
enum ResponseRoutes {
    static func make(verifier: EnvelopeVerifier, logger: Logger) -> HTTPRouter {
        var router = HTTPRouter()
        router.addSealed(
            "POST",
            "/response",
            SealedRoute(verifier: verifier, logger: logger) { envelope in
                guard let command = try? WireCoding.decode(ResponseCommand.self, from: envelope.plaintext) else {
                    return SealedReply(status: .unprocessable, body: Array("not a ResponseCommand".utf8))
                }
                let result = ResponseResult(
                    commandId: command.id,
                    outcome: .refused(reason: "responses are not enabled in this build"),
                    finishedAt: Date()
                )
                return SealedReply(body: (try? WireCoding.encode(result)) ?? [])
            }
        )
        return router
    }
}
