import Foundation
import Testing
import VigilTestSupport

@testable import SentryAgent

/// `sentry-agent listeners` against `ss -Htulnp`, the oracle, inside a network namespace the test creates.
@Suite("sentry-agent listeners", .serialized, .system)
struct ListenersCommandTests {
    static let canRun =
        SystemRequirements.canUseNetworkNamespaces && SystemRequirements.has("ss") && SystemRequirements.has("socat")
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") && FileManager.default.isExecutableFile(atPath: "/usr/bin/nsenter")

    /// The listener kinds a trial picks from, each given a fresh port.
    static let kinds: [(String, @Sendable (Int) -> [String])] = [
        ("http.server 0.0.0.0", { ["/usr/bin/python3", "-m", "http.server", "\($0)", "--bind", "0.0.0.0"] }),
        ("http.server ::", { ["/usr/bin/python3", "-m", "http.server", "\($0)", "--bind", "::"] }),
        ("socat TCP6-LISTEN", { ["/usr/bin/socat", "TCP6-LISTEN:\($0),reuseaddr", "OPEN:/dev/null"] }),
        ("socat TCP4-LISTEN loopback", { ["/usr/bin/socat", "TCP4-LISTEN:\($0),bind=127.0.0.1,reuseaddr", "OPEN:/dev/null"] }),
        ("socat UDP-RECV", { ["/usr/bin/socat", "-u", "UDP4-RECV:\($0)", "OPEN:/dev/null"] }),
        ("socat UDP6-LISTEN", { ["/usr/bin/socat", "UDP6-LISTEN:\($0)", "OPEN:/dev/null"] }),
    ]

    @Test(
        "its (protocol, port, pids) set equals ss -Htulnp in the same namespace, in randomized trials, from sock_diag and from /proc/net",
        .enabled(if: canRun, "needs root, ip netns, nsenter, ss, socat and /usr/bin/python3"))
    func matchesSS() async throws {
        for trial in 1...3 {
            try await ListenerNamespace.with { namespace in
                // Given a random mix of listeners on random ports,
                var ports = Set<Int>()
                while ports.count < 6 { ports.insert(Int.random(in: 1025...32000)) }
                let chosen = Self.kinds.shuffled().prefix(Int.random(in: 3...Self.kinds.count))
                var started: [String: Int32] = [:]
                for ((name, argv), port) in zip(chosen, ports) { started[name] = try namespace.start(argv(port)) }
                let expected = try await namespace.waitForListeners(chosen.count)

                for source in ["netlink", "proc"] {
                    // When the agent lists them from inside the namespace,
                    let result = try await AgentCLI.run(["listeners", "--source", source], prefix: namespace.enter)
                    #expect(result.status == 0, "\(result.errors)")
                    let records = try result.output.split(separator: "\n").map { line in
                        try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                    }
                    let rows = Set(
                        records.map { record in
                            ListenerRow(
                                transport: record["protocol"] as? String ?? "?", port: record["port"] as? Int ?? -1,
                                pids: (record["pids"] as? [Int]).map { $0.map(Int32.init) } ?? [])
                        })
                    // Then it names the same sockets and owners as ss,
                    #expect(rows == expected, "trial \(trial) \(source): \(chosen.map(\.0)) agent \(rows) ss \(expected)")
                    // and each started program is the pid of its socket, with the keys a script relies on.
                    for record in records {
                        #expect(record["pid"] is Int && record["exe"] is String && record["scope"] is String && record["severity"] is String)
                    }
                    #expect(Set(records.compactMap { $0["pid"] as? Int }.map(Int32.init)) == Set(started.values), "\(source)")
                }
            }
        }
    }
}
