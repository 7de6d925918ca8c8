import FlyingSocks
import Foundation
import Logging
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// A stand-in hub `/alert` endpoint that verifies seals and records the alert ids it acknowledges, in order.
actor FakeHub {
    nonisolated let key = AgentKey.generate()
    private(set) var received: [UUID] = []
    private var task: Task<Void, any Error>?

    private func record(_ alert: Alert) -> AlertReceipt {
        let duplicate = received.contains(alert.id)
        received.append(alert.id)
        return AlertReceipt(alertId: alert.id, duplicate: duplicate)
    }

    func start(port: UInt16) async throws {
        var router = HTTPRouter()
        router.addSealed(
            "POST",
            "/alert",
            SealedRoute(verifier: EnvelopeVerifier(keys: StaticAgentKeys(["web-1": [key]])), logger: Logger(label: "fake-hub")) {
                [weak self] envelope in
                guard let self, let alert = try? WireCoding.decode(Alert.self, from: envelope.plaintext) else {
                    return SealedReply(status: .unprocessable, body: [])
                }
                let receipt = await self.record(alert)
                return SealedReply(body: (try? WireCoding.encode(receipt)) ?? [])
            }
        )
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: port), handler: router, logger: Logger(label: "fake-hub"))
        task = Task { try await server.serve() }
        _ = try await server.listeningPort()
    }

    /// Stops serving and returns once the listener is closed.
    func stop() async {
        task?.cancel()
        _ = await task?.result
        task = nil
    }
}

/// Answers every request with one unsealed status and counts them: an impostor or a proxy on the way to the hub.
actor RefusingServer: HTTPHandler {
    nonisolated let status: HTTPStatus
    private(set) var refused = 0

    init(status: HTTPStatus) {
        self.status = status
    }

    private func count() {
        refused += 1
    }

    nonisolated func handle(_ request: HTTPRequest) async -> HTTPResponse {
        await count()
        return .text(status, "refused\n")
    }

    /// Serves on `port` until the returned task is cancelled.
    func start(port: UInt16) async throws -> Task<Void, any Error> {
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: port), handler: self, logger: Logger(label: "refusing-server"))
        let task = Task { try await server.serve() }
        _ = try await server.listeningPort()
        return task
    }
}
