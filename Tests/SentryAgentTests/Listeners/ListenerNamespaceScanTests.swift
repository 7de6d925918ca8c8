import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

#if canImport(Glibc)
    import Glibc
#endif

/// Listeners in other network namespaces (containers) and Docker-style published ports, on real namespaces the
/// tests create: the detector's scanner reads each foreign namespace once through `/proc/<pid>/net/*`.
@Suite("listeners in other network namespaces", .serialized, .system)
struct ListenerNamespaceScanTests {
    static let canRun = SystemRequirements.canUseNetworkNamespaces && SystemRequirements.has("socat") && SystemRequirements.has("nsenter")
    static let canRunDNAT = canRun && SystemRequirements.has("iptables") && SystemRequirements.has("iptables-save")

    /// Scans until a listener held by `pid` appears (the namespace's process may take a moment to bind).
    static func find(pid: Int32, with scanner: inout ListenerScanner) async throws -> Listener {
        for _ in 0..<100 {
            if let found = try scanner.scan().first(where: { $0.owner?.pid == pid }) { return found }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("no listener of pid \(pid) in any namespace")
    }

    @Test(
        "a listener inside a namespace the test made is reported with that namespace, its unit or container, and as not published",
        .enabled(if: canRun, "needs root, ip netns, nsenter and socat"))
    func foreignNamespaceIsRead() async throws {
        try await ListenerNamespace.with { namespace in
            let port = Int.random(in: 20000...30000)
            let pid = try namespace.start([
                SystemRequirements.path(of: "socat")!, "TCP4-LISTEN:\(port),bind=0.0.0.0,reuseaddr,fork", "OPEN:/dev/null",
            ])
            _ = try await namespace.waitForListeners(1)
            var scanner = ListenerScanner.allNamespaces(refreshEvery: 1)
            let listener = try await Self.find(pid: pid, with: &scanner)
            let inode = try #require(NetworkNamespaces.inode(ofLink: "/proc/\(pid)/ns/net"))
            #expect(listener.socket.namespace?.inode == inode)
            #expect(listener.socket.port == UInt16(port) && listener.socket.scope == .any)

            // The CLI's scanner reads its own namespace only, as `ss` does.
            var own = ListenerScanner()
            #expect(try own.scan().allSatisfy { $0.owner?.pid != pid })

            let evidence = ListenerDetector.evidence(listener, reasons: ListenerSeverity.assess(listener).reasons)
            #expect(evidence.namespace == "net:[\(inode)]")
            let cgroup = try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8)
            let placement = CgroupPlacement(cgroupFile: cgroup)
            #expect(evidence.unit == placement.unit && evidence.container == placement.container)
            let (severity, reasons) = ListenerSeverity.assess(listener)
            #expect(severity == .info && reasons == ["inside network namespace net:[\(inode)], not published on the host"])
        }
    }

    @Test(
        "a DNAT rule to a namespace's address publishes its listener: exposed, with the external port",
        .enabled(if: canRunDNAT, "needs root, ip netns, nsenter, socat, iptables and iptables-save"))
    func dnatPublishesListener() async throws {
        try await ListenerNamespace.with { namespace in
            let address = "10.253.\(Int.random(in: 0...255)).\(Int.random(in: 1...254))"
            try await ListenerNamespace.run([ListenerNamespace.ip, "-n", namespace.name, "addr", "add", "\(address)/32", "dev", "lo"])
            let port = Int.random(in: 20000...30000)
            let external = port + 10000
            // The rule Docker writes for `-p EXTERNAL:PORT`, in the namespace's own nat table (the host's stays untouched).
            try await ListenerNamespace.run(
                namespace.enter + [
                    SystemRequirements.path(of: "iptables")!, "-t", "nat", "-A", "PREROUTING", "!", "-i", "lo", "-p", "tcp", "-m", "tcp", "--dport",
                    "\(external)", "-j", "DNAT", "--to-destination", "\(address):\(port)",
                ])
            let pid = try namespace.start([
                SystemRequirements.path(of: "socat")!, "TCP4-LISTEN:\(port),bind=0.0.0.0,reuseaddr,fork", "OPEN:/dev/null",
            ])
            _ = try await namespace.waitForListeners(1)

            let loaded = await DNATRule.load(runner: ProcessCommandRunner(prefix: namespace.enter))
            let rules = try loaded.get()
            let rule = DNATRule(transport: .tcp, externalPort: UInt16(external), destination: IPAddress(address)!, port: UInt16(port))
            #expect(rules.contains(rule), "\(rules)")

            var scanner = ListenerScanner.allNamespaces(refreshEvery: 1)
            scanner.publishing = rules
            let listener = try await Self.find(pid: pid, with: &scanner)
            #expect(listener.published == [rule])
            let (severity, reasons) = ListenerSeverity.assess(listener)
            #expect(severity == .critical, "socat published to the world is the shape of a bind shell: \(reasons)")
            #expect(reasons.contains("published on tcp/\(external) by a DNAT rule"), "\(reasons)")
            let evidence = ListenerDetector.evidence(listener, reasons: reasons)
            #expect(evidence.exposedPorts == [external])
        }
    }

    @Test("iptables-save DNAT lines: ports, bare destinations, IPv6; ranges and other targets skipped")
    func dnatParsing() {
        let text = """
            *nat
            :PREROUTING ACCEPT [0:0]
            -A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
            -A DOCKER ! -i docker0 -p udp -m udp --dport 5353 -j DNAT --to-destination 172.17.0.3
            -A DOCKER -p tcp -m tcp --dport 8443 -j DNAT --to-destination [fd00::2]:443
            -A DOCKER -p tcp -m tcp --dport 9000:9010 -j DNAT --to-destination 172.17.0.4:9000
            -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
            COMMIT
            """
        #expect(
            DNATRule.parse(iptablesSave: text) == [
                DNATRule(transport: .tcp, externalPort: 8080, destination: IPAddress("172.17.0.2")!, port: 80),
                DNATRule(transport: .udp, externalPort: 5353, destination: IPAddress("172.17.0.3")!, port: 5353),
                DNATRule(transport: .tcp, externalPort: 8443, destination: IPAddress("fd00::2")!, port: 443),
            ])
    }

    @Test("fib_trie's local addresses are the ones marked /32 host LOCAL")
    func fibTrieLocalAddresses() {
        let text = """
            Main:
              +-- 0.0.0.0/0 3 0 5
                 +-- 127.0.0.0/8 2 0 2
                    +-- 127.0.0.0/31 1 0 0
                       |-- 127.0.0.0
                          /8 host LOCAL
                       |-- 127.0.0.1
                          /32 host LOCAL
                    |-- 127.255.255.255
                       /32 link BROADCAST
                 |-- 172.17.0.2
                    /32 host LOCAL
            """
        #expect(LocalAddresses.parse(fibTrie: text) == [IPAddress("127.0.0.1")!, IPAddress("172.17.0.2")!])
    }
}
