import Foundation
import Shared

@testable import SentryAgent

/// Two network namespaces joined by a veth pair, made for one test and removed afterwards, also when it fails:
/// `agent` holds a TCP listener (and the firewall under test), `client` connects to it. Addresses come from
/// 10.251.0.0/16, fd51:7e57::/32 and fd51:7e58::/32, only inside these namespaces; the host's interfaces and ruleset are
/// untouched.
struct NetworkNamespacePair: Sendable {
    let agent: String
    let client: String
    let agentIPv4: IPAddress
    let clientIPv4: IPAddress
    let agentIPv6: IPAddress
    let clientIPv6: IPAddress
    /// A second client address in a /64 of its own (`clientPrefix`), routed from the agent: blocking that prefix
    /// must stop it and leave `clientIPv6` alone.
    let clientPrefixAddress: IPAddress
    let clientPrefix: IPNetwork
    let port: UInt16 = 7000
    static let ip = "/usr/sbin/ip"
    private static let host = ProcessCommandRunner()

    /// A runner whose programs run inside the agent's network namespace. `nsenter --net` only joins the namespace;
    /// `ip netns exec` would also remount /sys for each program, which costs milliseconds per nft run.
    var agentRunner: ProcessCommandRunner { ProcessCommandRunner(prefix: ["/usr/bin/nsenter", "--net=/run/netns/\(agent)"]) }

    /// Creates the pair, runs `body`, and always removes both namespaces (and the processes in them).
    ///
    /// Setting up is tried twice with fresh names: on a loaded machine the listener in a new namespace now and then
    /// never becomes reachable, which says nothing about the code under test. `body` itself runs once.
    static func with<T: Sendable>(_ body: @Sendable (NetworkNamespacePair) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            let pair = make()
            do {
                try await pair.create(tag: pair.tag)
            } catch {
                await pair.remove()
                guard attempt < 2 else { throw error }
                print("network namespace setup failed (\(error)); trying once more with new names")
                attempt += 1
                continue
            }
            let result: T
            do {
                result = try await body(pair)
            } catch {
                await pair.remove()
                throw error
            }
            await pair.remove()
            return result
        }
    }

    private static func make() -> NetworkNamespacePair {
        let tag = String(UInt32.random(in: 0..<0xFFFF_FFFF), radix: 16)
        let third = Int.random(in: 0...255)
        let fourth = 4 * Int.random(in: 0...63)
        return NetworkNamespacePair(
            agent: "vigil-test-\(tag)-a",
            client: "vigil-test-\(tag)-c",
            agentIPv4: IPAddress("10.251.\(third).\(fourth + 1)")!,
            clientIPv4: IPAddress("10.251.\(third).\(fourth + 2)")!,
            agentIPv6: IPAddress("fd51:7e57:\(String(third, radix: 16))::1")!,
            clientIPv6: IPAddress("fd51:7e57:\(String(third, radix: 16))::2")!,
            clientPrefixAddress: IPAddress("fd51:7e58:\(String(third, radix: 16)):1::7")!,
            clientPrefix: IPNetwork("fd51:7e58:\(String(third, radix: 16)):1::/64")!
        )
    }

    /// The short tag in the veth link names (interface names are at most 15 bytes).
    private var tag: String { String(agent.dropFirst("vigil-test-".count).dropLast(2).prefix(8)) }

    private func create(tag: String) async throws {
        let agentLink = "vta\(tag)"
        let clientLink = "vtc\(tag)"
        try await Self.must([Self.ip, "netns", "add", agent])
        try await Self.must([Self.ip, "netns", "add", client])
        try await Self.must([Self.ip, "-n", agent, "link", "add", agentLink, "type", "veth", "peer", "name", clientLink, "netns", client])
        for (namespace, link, v4, v6) in [(agent, agentLink, agentIPv4, agentIPv6), (client, clientLink, clientIPv4, clientIPv6)] {
            try await Self.must([Self.ip, "-n", namespace, "link", "set", "lo", "up"])
            try await Self.must([Self.ip, "-n", namespace, "addr", "add", "\(v4)/30", "dev", link])
            try await Self.must([Self.ip, "-n", namespace, "addr", "add", "\(v6)/64", "dev", link, "nodad"])
            try await Self.must([Self.ip, "-n", namespace, "link", "set", link, "up"])
        }
        try await Self.must([Self.ip, "-n", client, "addr", "add", "\(clientPrefixAddress)/128", "dev", clientLink, "nodad"])
        try await Self.must([Self.ip, "-n", agent, "-6", "route", "add", clientPrefix.description, "via", clientIPv6.description, "dev", agentLink])
        // A listener in the agent's namespace on both families; each connection is accepted and closed.
        let listener = ProgramInvocation(
            Self.ip, ["netns", "exec", agent, "socat", "TCP6-LISTEN:\(port),ipv6only=0,reuseaddr,fork", "OPEN:/dev/null"],
            timeout: .seconds(120))
        Task.detached { _ = await Self.host.run(listener) }
        // Wait until both families connect: the listener is up and the links have carrier.
        for address in [agentIPv4, agentIPv6] {
            var connected = false
            for _ in 0..<40 where !connected {
                connected = await connect(to: address) == .connected
                if !connected { try await Task.sleep(for: .milliseconds(50)) }
            }
            guard connected else { throw SetupFailure(description: "the listener on \(address) never accepted a connection") }
        }
    }

    /// Removes both namespaces after killing every process left in them.
    func remove() async {
        for namespace in [agent, client] {
            let pids = await Self.host.run(ProgramInvocation(Self.ip, ["netns", "pids", namespace]))
            for pid in String(decoding: pids.standardOutput, as: UTF8.self).split(whereSeparator: \.isNewline).compactMap({ Int32($0) }) {
                kill(pid, SIGKILL)
            }
            _ = await Self.host.run(ProgramInvocation(Self.ip, ["netns", "delete", namespace]))
        }
    }

    /// What a TCP connect from the client namespace to the agent's listener did.
    enum ConnectResult: Equatable {
        case connected
        /// No answer at all: the SYN was dropped (blocked).
        case timedOut
        /// Anything else (refused, unreachable), with socat's message.
        case failed(String)
    }

    /// Connects from the client namespace to `address` (the agent's), from `source` if given, giving up after `timeout`.
    func connect(to address: IPAddress, from source: IPAddress? = nil, timeout: Double = 0.6) async -> ConnectResult {
        var target = address.isIPv4 ? "TCP4:\(address):\(port)" : "TCP6:[\(address)]:\(port)"
        if let source { target += ",bind=[\(source)]" }
        let output = await Self.host.run(
            ProgramInvocation(Self.ip, ["netns", "exec", client, "socat", "-u", "/dev/null", "\(target),connect-timeout=\(timeout)"]))
        if output.succeeded { return .connected }
        return output.errorText.contains("timed out") ? .timedOut : .failed(output.errorText)
    }

    /// The set elements or rules as the kernel in the agent's namespace holds them (`nft list table inet vigil`).
    func ruleset() async -> String {
        String(decoding: await agentRunner.run(ProgramInvocation("/usr/sbin/nft", ["list", "ruleset"])).standardOutput, as: UTF8.self)
    }

    private static func must(_ argv: [String]) async throws {
        let output = await host.run(ProgramInvocation(argv[0], Array(argv.dropFirst())))
        guard output.succeeded else { throw SetupFailure(description: "\(argv.joined(separator: " ")): \(output.failureReason)") }
    }

    struct SetupFailure: Error, CustomStringConvertible {
        let description: String
    }
}
