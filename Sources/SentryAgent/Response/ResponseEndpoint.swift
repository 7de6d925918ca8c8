import FoundationEssentials
import Logging
import Shared

/// The agent's sealed endpoints for the hub: `POST /response` runs a `ResponseCommand` through the `Executor` and
/// answers its `ResponseResult`; `POST /blocks` lists the current blocks. Both arrive sealed: anything unsealed,
/// forged, stale or replayed gets 401 before any of this code runs.
enum ResponseEndpoint {
    static let responsePath = "/response"
    static let blocksPath = "/blocks"

    static func make(
        verifier: EnvelopeVerifier,
        executor: Executor,
        blocks: BlockResponder,
        logger: Logger,
        metrics: MetricsRegistry? = nil
    ) -> HTTPRouter {
        var router = HTTPRouter()
        router.addSealed(
            "POST",
            responsePath,
            SealedRoute(verifier: verifier, logger: logger) { envelope in
                let command: ResponseCommand
                do {
                    command = try WireCoding.decode(ResponseCommand.self, from: envelope.plaintext)
                } catch {
                    logger.warning("sealed /response body is not a ResponseCommand", metadata: ["reason": "\(error)"])
                    return SealedReply(status: .unprocessable, body: Array("not a ResponseCommand".utf8))
                }
                let result = await executor.execute(command)
                metrics?.increment(
                    "vigil_agent_commands_total",
                    help: "Commands from the hub, by action and outcome.",
                    labels: ["action": command.action.name, "outcome": result.outcome.name]
                )
                return reply(result, logger: logger)
            }
        )
        router.addSealed(
            "POST",
            blocksPath,
            SealedRoute(verifier: verifier, logger: logger) { _ in
                do {
                    let entries = try await blocks.list()
                    let list = BlockList(
                        backend: blocks.firewall.name,
                        entries: entries.map { BlockList.Entry(ip: $0.target.blockText, secondsLeft: $0.timeLeft?.components.seconds) },
                        listedAt: Date()
                    )
                    return reply(list, logger: logger)
                } catch {
                    // The reason goes back sealed in the list, so the operator reads it rather than "HTTP 500".
                    logger.error("cannot list blocks", metadata: ["reason": "\(error)"])
                    return reply(BlockList(backend: blocks.firewall.name, entries: [], listedAt: Date(), problem: "\(error)"), logger: logger)
                }
            }
        )
        return router
    }

    private static func reply(_ value: some Encodable, logger: Logger) -> SealedReply {
        do {
            return SealedReply(body: try WireCoding.encode(value))
        } catch {
            logger.error("cannot encode a reply", metadata: ["reason": "\(error)"])
            return SealedReply(status: .internalServerError, body: [])
        }
    }
}
