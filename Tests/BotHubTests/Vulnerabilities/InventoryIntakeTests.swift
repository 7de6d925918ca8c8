import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

#if canImport(Glibc)
    import Glibc
#endif

/// `POST /inventory`: sealed like every agent route, with a body limit of its own (1 MiB) while the others keep 64 KiB.
@Suite("Inventory intake")
struct InventoryIntakeTests {
    static let key = AgentKey.generate()

    struct Hub {
        let store: HubStore
        let port: UInt16
        var endpoint: HTTPEndpoint { HTTPEndpoint(host: "127.0.0.1", port: port) }
        var client: SealedClient { SealedClient(endpoint: endpoint, agentID: "web-1", key: InventoryIntakeTests.key, http: HTTPClient()) }
    }

    static func withHub(_ body: (Hub) async throws -> Void) async throws {
        let store = try HubStore.inMemory()
        let agents = AgentDirectory(configured: [.init(id: "web-1", responseEndpoint: HTTPEndpoint(host: "127.0.0.1", port: 9), key: key)])
        let roster = ChatRoster(chats: [], store: store, defaultLanguage: "en")
        let logger = Logger(label: "test")
        let intake = AlertIntake(store: store, roster: roster, logger: logger, now: Date.init, alertStored: {})
        let router = IntakeRoutes.make(
            intake: intake, verifier: EnvelopeVerifier(keys: agents), logger: logger,
            inventory: InventoryIntake(store: store, logger: logger, now: Date.init))
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.routeBodyLimits["/inventory"] = InventoryIntake.maxBodyBytes
        let server = HTTPServer(configuration: configuration, handler: router, logger: logger)
        let task = Task { try await server.serve() }
        defer { task.cancel() }
        try await body(Hub(store: store, port: try await server.listeningPort()))
    }

    /// A host with `count` source packages of two binaries each: 3,000 make about 400 KB of JSON.
    static func inventory(agent: String = "web-1", count: Int) -> PackageInventory {
        let sources = (0..<count).map { index in
            PackageInventory.SourcePackage(
                name: "source-package-\(index)", version: "1.\(index).0-1+deb12u1",
                binaries: [
                    .init(name: "lib-package-\(index)", version: "1.\(index).0-1+deb12u1+b1", architecture: "amd64"),
                    .init(name: "package-\(index)-bin", version: "1.\(index).0-1+deb12u1+b1", architecture: "amd64"),
                ])
        }
        // Whole seconds: the wire's dates carry no fraction.
        return PackageInventory(
            agent: agent, hostname: agent, distribution: "debian", release: "bookworm", sources: sources,
            collectedAt: Date(timeIntervalSince1970: 1_800_000_000))
    }

    /// Sends `head` (and no body) on a fresh connection and returns the status line of the answer. The socket blocks:
    /// it is used off the cooperative pool, where the hub under test must be free to answer.
    static func statusLine(port: UInt16, head: String) async throws -> String {
        try await offPool {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw TestFailure("connect: errno \(errno)") }
            // A hub that never answers fails the test after 30 s instead of hanging it.
            var timeout = timeval(tv_sec: 30, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            _ = Array(head.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            var reply: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !reply.contains(UInt8(ascii: "\n")) {
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard count > 0 else { break }
                reply += buffer[0..<count]
            }
            return String(decoding: reply, as: UTF8.self).split(separator: "\r\n").first.map(String.init) ?? ""
        }
    }

    @Test("a 3,000-package inventory (well over 64 KiB) is accepted and stored")
    func largeInventoryStored() async throws {
        try await Self.withHub { hub in
            let inventory = Self.inventory(count: 3_000)
            let body = try WireCoding.encode(inventory)
            #expect(body.count > 64 * 1024)
            _ = try await hub.client.post("/inventory", body: body)
            #expect(try hub.store.inventories() == [inventory])
            #expect(try hub.store.fleetReleases() == ["bookworm"])
        }
    }

    @Test("over 1 MiB on /inventory, or over 64 KiB on /alert, is refused with 413 before the body is read; the server keeps serving")
    func limits() async throws {
        try await Self.withHub { hub in
            let over = InventoryIntake.maxBodyBytes + 1
            #expect(
                try await Self.statusLine(port: hub.port, head: "POST /inventory HTTP/1.1\r\nHost: hub\r\nContent-Length: \(over)\r\n\r\n").contains(
                    " 413 "))
            #expect(
                try await Self.statusLine(port: hub.port, head: "POST /alert HTTP/1.1\r\nHost: hub\r\nContent-Length: 65537\r\n\r\n").contains(
                    " 413 "))
            #expect(try await Self.statusLine(port: hub.port, head: "GET /healthz HTTP/1.1\r\nHost: hub\r\n\r\n").contains(" 200 "))
            _ = try await hub.client.post("/inventory", body: try WireCoding.encode(Self.inventory(count: 10)))
            #expect(try hub.store.inventories().count == 1)
        }
    }

    @Test("an unsealed inventory gets 401, one claiming another agent 422, and neither is stored")
    func sealing() async throws {
        try await Self.withHub { hub in
            let body = try WireCoding.encode(Self.inventory(count: 5))
            let plain = try await HTTPClient().send(HTTPRequest(method: "POST", target: "/inventory", body: body), to: hub.endpoint)
            #expect(plain.status == 401)
            let stranger = SealedClient(endpoint: hub.endpoint, agentID: "web-1", key: .generate(), http: HTTPClient())
            await #expect(throws: SealedClientError.self) { try await stranger.post("/inventory", body: body) }
            let error = await #expect(throws: SealedClientError.self) {
                try await hub.client.post("/inventory", body: try WireCoding.encode(Self.inventory(agent: "db-1", count: 5)))
            }
            #expect(error?.code == .rejected(422))
            #expect(try hub.store.inventories().isEmpty)
        }
    }
}
