import Foundation
import Logging
import Shared
import Testing

@testable import BotHub

/// Alerts arrive sealed (over a real socket and in-process), are stored before the receipt, and are shown once however
/// often they arrive.
@Suite("Hub intake", .serialized)
struct AlertIntakeTests {
    static let key = AgentKey.generate()

    /// How requests reach the intake: over a real socket, or straight into its handler (`InProcessTransport`). Every
    /// test runs both ways, so a difference between the two shows as a failure of one of them.
    enum Wire: String, CaseIterable, Sendable {
        case socket
        case inProcess
    }

    struct Hub {
        let store: HubStore
        let transport: any HTTPTransport
        let endpoint: HTTPEndpoint

        var client: SealedClient { SealedClient(endpoint: endpoint, agentID: "web-1", key: AlertIntakeTests.key, http: transport) }
    }

    static func withHub(over wire: Wire, _ body: (Hub) async throws -> Void) async throws {
        let store = try HubStore.inMemory()
        let agents = AgentDirectory(configured: [.init(id: "web-1", responseEndpoint: HTTPEndpoint(host: "127.0.0.1", port: 9), key: key)])
        let roster = ChatRoster(chats: [.init(id: -100, language: nil, operators: [])], store: store, defaultLanguage: "en")
        let intake = AlertIntake(store: store, roster: roster, logger: Logger(label: "test"), now: Date.init, alertStored: {})
        let router = IntakeRoutes.make(intake: intake, verifier: EnvelopeVerifier(keys: agents), logger: Logger(label: "test"))
        switch wire {
        case .inProcess:
            try await body(Hub(store: store, transport: InProcessTransport(handler: router), endpoint: HTTPEndpoint(host: "127.0.0.1", port: 7070)))
        case .socket:
            let server = HTTPServer(
                configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), handler: router, logger: Logger(label: "test"))
            let task = Task { try await server.serve() }
            defer { task.cancel() }
            let endpoint = HTTPEndpoint(host: "127.0.0.1", port: try await server.listeningPort())
            try await body(Hub(store: store, transport: HTTPClient(), endpoint: endpoint))
        }
    }

    static func alert(agent: String = "web-1") -> Alert {
        Alert(
            agent: agent,
            hostname: "web-1",
            kind: .sshBruteForce,
            severity: .warning,
            observedAt: Date(),
            subject: .sshBruteForce(SSHBruteForceEvidence(ip: "192.0.2.7", attempts: 6, users: ["root", "admin"], windowSeconds: 60)),
            actions: [.blockIP1h]
        )
    }

    @Test("a sealed alert is stored with one pending message per chat before the receipt", arguments: Wire.allCases)
    func stored(over wire: Wire) async throws {
        try await Self.withHub(over: wire) { hub in
            let alert = Self.alert()
            let receipt = try WireCoding.decode(AlertReceipt.self, from: try await hub.client.post("/alert", body: try WireCoding.encode(alert)))
            #expect(receipt == AlertReceipt(alertId: alert.id, duplicate: false))
            #expect(try await hub.store.alert(id: alert.id.uuidString)?.agent == "web-1")
            #expect(try await hub.store.pendingMessages().map(\.chatID) == [-100])
        }
    }

    @Test("the same alert delivered twice is acknowledged twice and shown once", arguments: Wire.allCases)
    func duplicate(over wire: Wire) async throws {
        try await Self.withHub(over: wire) { hub in
            let alert = Self.alert()
            _ = try await hub.client.post("/alert", body: try WireCoding.encode(alert))
            let second = try WireCoding.decode(AlertReceipt.self, from: try await hub.client.post("/alert", body: try WireCoding.encode(alert)))
            #expect(second.duplicate)
            #expect(try await hub.store.pendingMessages().count == 1)
        }
    }

    @Test("an alert claiming another agent's name is refused with 422 and stored nowhere", arguments: Wire.allCases)
    func impersonation(over wire: Wire) async throws {
        try await Self.withHub(over: wire) { hub in
            let alert = Self.alert(agent: "db-1")
            let body = try WireCoding.encode(alert)
            await #expect(throws: SealedClientError.self) { try await hub.client.post("/alert", body: body) }
            #expect(try await hub.store.alert(id: alert.id.uuidString) == nil)
        }
    }

    @Test("a sealed body that is not an alert is refused with 422", arguments: Wire.allCases)
    func malformed(over wire: Wire) async throws {
        try await Self.withHub(over: wire) { hub in
            do {
                _ = try await hub.client.post("/alert", body: Array("{\"kind\":\"nonsense\"}".utf8))
                Issue.record("accepted a malformed alert")
            } catch let error as SealedClientError {
                #expect(error.code == .rejected(422))
            }
            #expect(try hub.store.recentAlerts(limit: 10).isEmpty)
        }
    }

    @Test("unsigned and forged alerts get 401 and nothing is stored", arguments: Wire.allCases)
    func unsigned(over wire: Wire) async throws {
        try await Self.withHub(over: wire) { hub in
            let body = try WireCoding.encode(Self.alert())
            let plain = try await hub.transport.send(HTTPRequest(method: "POST", target: "/alert", body: body), to: hub.endpoint)
            #expect(plain.status == 401)
            let stranger = SealedClient(endpoint: hub.endpoint, agentID: "web-1", key: .generate(), http: hub.transport)
            await #expect(throws: SealedClientError.self) { try await stranger.post("/alert", body: body) }
            #expect(try hub.store.recentAlerts(limit: 10).isEmpty)
        }
    }

    @Test("heartbeats are recorded per agent; one claiming another agent is refused", arguments: Wire.allCases)
    func heartbeats(over wire: Wire) async throws {
        try await Self.withHub(over: wire) { hub in
            let beat = Heartbeat(agent: "web-1", version: "1", uptimeSeconds: 5, sentAt: Date(), queueDepth: 0, dropped: 0, detectors: [])
            _ = try await hub.client.post("/heartbeat", body: try WireCoding.encode(beat))
            #expect(try hub.store.lastHeartbeats().keys.sorted() == ["web-1"])
            var forged = beat
            forged.agent = "db-1"
            let body = try WireCoding.encode(forged)
            await #expect(throws: SealedClientError.self) { try await hub.client.post("/heartbeat", body: body) }
        }
    }
}
