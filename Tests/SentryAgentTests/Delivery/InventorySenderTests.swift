import Foundation
import Logging
import Shared
import Synchronization
import Testing
import VigilTestSupport

@testable import SentryAgent

@Suite("InventorySender: the package inventory, sent sealed when it changes")
struct InventorySenderTests {
    /// What the stand-in hub route received.
    final class Received: Sendable {
        let inventories = Mutex<[PackageInventory]>([])
    }

    static let key = AgentKey.generate()

    static let status = """
        Package: libc6
        Status: install ok installed
        Architecture: amd64
        Source: glibc (2.36-9+deb12u3)
        Version: 2.36-9+deb12u3+b1

        Package: libc-bin
        Status: install ok installed
        Architecture: amd64
        Source: glibc (2.36-9+deb12u3)
        Version: 2.36-9+deb12u3+b1

        Package: curl
        Status: install ok installed
        Architecture: amd64
        Version: 7.88.1-10+deb12u8

        """

    static let osRelease = """
        PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
        NAME="Debian GNU/Linux"
        VERSION_ID="12"
        VERSION_CODENAME=bookworm
        ID=debian
        # a comment
        """

    @Test("os-release fields are read unquoted")
    func osReleaseFields() {
        let fields = InventorySender.osRelease(Self.osRelease + "\nQUOTED='single'\nESCAPED=\"a \\\"b\\\"\"")
        #expect(fields["ID"] == "debian")
        #expect(fields["VERSION_CODENAME"] == "bookworm")
        #expect(fields["PRETTY_NAME"] == "Debian GNU/Linux 12 (bookworm)")
        #expect(fields["QUOTED"] == "single")
        #expect(fields["ESCAPED"] == "a \"b\"")
    }

    @Test("sent once, with binaries grouped under their source's version, and again only after a change")
    func sendsOnChange() async throws {
        let directory = try TemporaryDirectory("vigil-inventory")
        defer { directory.remove() }
        try Data(Self.status.utf8).write(to: URL(filePath: directory.file("status")))
        try Data(Self.osRelease.utf8).write(to: URL(filePath: directory.file("os-release")))
        let received = Received()
        var router = HTTPRouter()
        router.addSealed(
            "POST", "/inventory",
            SealedRoute(verifier: EnvelopeVerifier(keys: StaticAgentKeys(["web-1": [Self.key]])), logger: Logger(label: "hub")) { envelope in
                do {
                    let inventory = try WireCoding.decode(PackageInventory.self, from: envelope.plaintext)
                    received.inventories.withLock { $0.append(inventory) }
                    return SealedReply(body: Array("{}".utf8))
                } catch {
                    return SealedReply(status: .unprocessable, body: [])
                }
            })
        let client = SealedClient(
            endpoint: HTTPEndpoint(host: "127.0.0.1", port: 7070), agentID: "web-1", key: Self.key, http: InProcessTransport(handler: router))
        let sender = InventorySender(
            agentID: "web-1", hostname: "web-1", statusPath: directory.file("status"), osReleasePath: directory.file("os-release"),
            sentPath: directory.file("inventory-sent.txt"), client: client, logger: Logger(label: "test"))

        let first = await sender.sendIfChanged(lastSent: nil)
        #expect(first != nil)
        let again = await sender.sendIfChanged(lastSent: first)
        #expect(again == first)
        try Data((Self.status + "\nPackage: openssl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.0.15-1~deb12u1\n").utf8)
            .write(to: URL(filePath: directory.file("status")))
        let third = await sender.sendIfChanged(lastSent: again)
        #expect(third != first)

        let inventories = received.inventories.withLock { $0 }
        try #require(inventories.count == 2)
        #expect(inventories[0].release == "bookworm")
        #expect(inventories[0].distribution == "debian")
        #expect(inventories[0].versionId == "12")
        #expect(inventories[0].sources.map(\.name) == ["curl", "glibc"])
        let glibc = try #require(inventories[0].sources.last)
        #expect(glibc.version == "2.36-9+deb12u3")
        #expect(glibc.binaries.map(\.name) == ["libc-bin", "libc6"])
        #expect(glibc.binaries.first?.version == "2.36-9+deb12u3+b1")
        #expect(inventories[1].sources.map(\.name) == ["curl", "glibc", "openssl"])
        #expect(String(decoding: try Data(contentsOf: URL(filePath: directory.file("inventory-sent.txt"))), as: UTF8.self) == (third ?? "") + "\n")
    }

    @Test("exposed: the sources of the packages owning a listener beyond loopback; absent without a listener scan, and part of the hash")
    func exposedSources() throws {
        let directory = try TemporaryDirectory("vigil-inventory")
        defer { directory.remove() }
        try Data(Self.status.utf8).write(to: URL(filePath: directory.file("status")))
        try Data(Self.osRelease.utf8).write(to: URL(filePath: directory.file("os-release")))
        let client = SealedClient(endpoint: HTTPEndpoint(host: "127.0.0.1", port: 7070), agentID: "web-1", key: Self.key)
        var sender = InventorySender(
            agentID: "web-1", hostname: "web-1", statusPath: directory.file("status"), osReleasePath: directory.file("os-release"),
            sentPath: directory.file("inventory-sent.txt"), client: client, logger: Logger(label: "test"))
        let plain = try sender.build(now: Date())
        #expect(plain.exposed == nil)

        // libc-bin's program on every address, curl's on loopback only, an unpackaged program on every address.
        let listeners = [
            Listener.make(address: "0.0.0.0", port: 80, pid: 1, package: .owned("libc-bin:amd64")),
            Listener.make(address: "127.0.0.1", port: 8080, pid: 2, package: .owned("curl")),
            Listener.make(address: "::", port: 9000, pid: 3, package: .unowned),
        ]
        let exposed = ExposedPackages.exposed(listeners)
        #expect(exposed == ["libc-bin:amd64"])
        sender.exposedPackages = { exposed }
        let withExposure = try sender.build(now: Date())
        #expect(withExposure.exposed == ["glibc"])
        #expect(try withExposure.contentHash() != plain.contentHash(), "a package newly exposed is sent again")
        let decoded = try WireCoding.decode(PackageInventory.self, from: try WireCoding.encode(plain))
        #expect(decoded.exposed == nil, "an inventory without the field still decodes")
    }
}
