import Shared

/// Docker-style port publishing: a DNAT rule in the host's `nat` table that sends traffic arriving on an external
/// port to an address and port behind it (a container's, or the host's own). A listener behind such a rule is
/// reachable from outside on the external port, whatever address it binds inside its namespace.
struct DNATRule: Sendable, Hashable {
    var transport: ListeningSocket.Transport
    /// The port traffic arrives on.
    var externalPort: UInt16
    /// Where it is sent.
    var destination: IPAddress
    var port: UInt16

    /// Every DNAT rule in `iptables-save -t nat` output with one protocol, one destination port and one destination:
    /// `-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80`. Port ranges and
    /// address ranges (rare outside load balancers) are skipped, not guessed.
    static func parse(iptablesSave text: String) -> [DNATRule] {
        var rules: [DNATRule] = []
        for line in text.split(separator: "\n") where line.hasPrefix("-A ") && line.contains(" -j DNAT") {
            let words = line.split(separator: " ")
            func value(after flag: String) -> Substring? {
                guard let index = words.firstIndex(where: { $0 == flag }), index + 1 < words.endIndex else { return nil }
                return words[index + 1]
            }
            guard let proto = value(after: "-p").flatMap({ ListeningSocket.Transport(rawValue: String($0)) }),
                let external = value(after: "--dport").flatMap({ UInt16($0) }), let target = value(after: "--to-destination"),
                let (address, port) = destination(target, defaultPort: external)
            else { continue }
            rules.append(DNATRule(transport: proto, externalPort: external, destination: address, port: port))
        }
        return rules
    }

    /// `172.17.0.2:80`, `172.17.0.2` (same port), `[fd00::2]:80`.
    private static func destination(_ text: Substring, defaultPort: UInt16) -> (IPAddress, UInt16)? {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), let address = IPAddress(text[text.index(after: text.startIndex)..<close]) else { return nil }
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return (address, defaultPort) }
            guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()) else { return nil }
            return (address, port)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        switch parts.count {
        case 1: return (address, defaultPort)
        case 2: return UInt16(parts[1]).map { (address, $0) }
        default: return nil
        }
    }

    /// Whether this rule reaches `socket`, a listener in a namespace whose local addresses are `addresses`.
    func reaches(_ socket: ListeningSocket, localAddresses addresses: Set<IPAddress>) -> Bool {
        guard transport == socket.transport, port == socket.port, addresses.contains(destination) else { return false }
        let bound = socket.address.unmappedIPv4 ?? socket.address
        return socket.scope == .any || bound == destination
    }
}

/// The local IPv4 addresses of a network namespace, from its `/proc/<pid>/net/fib_trie`: the address lines followed
/// by `/32 host LOCAL`. Read without entering the namespace.
enum LocalAddresses {
    static func parse(fibTrie text: String) -> Set<IPAddress> {
        var addresses: Set<IPAddress> = []
        var last: IPAddress?
        for line in text.split(separator: "\n") {
            let trimmed = line.drop { $0 == " " || $0 == "|" || $0 == "-" || $0 == "+" || $0 == "`" }
            if let address = IPAddress(trimmed) {
                last = address
            } else if trimmed.hasPrefix("/32 host LOCAL"), let last {
                addresses.insert(last)
            }
        }
        return addresses
    }

    static func read(proc: ProcFileSystem, pid: Int32?) -> Set<IPAddress> {
        let path = pid.map { "\($0)/net/fib_trie" } ?? "net/fib_trie"
        guard let bytes = proc.read(path, limit: 16 << 20) else { return [] }
        return parse(fibTrie: String(decoding: bytes, as: UTF8.self))
    }
}

extension DNATRule {
    /// The host's DNAT rules from `iptables-save -t nat` (Docker writes its published ports there, through the nft
    /// compatibility layer too); none when the program is missing or fails (the failure is the caller's to log).
    static func load(runner: any CommandRunner = ProcessCommandRunner(), locator: ProgramLocator = ProgramLocator()) async -> Result<
        [DNATRule], FirewallError
    > {
        guard let save = locator.path(of: "iptables-save") else { return .success([]) }
        let invocation = ProgramInvocation(save, ["-t", "nat"], timeout: .seconds(10))
        let output = await runner.run(invocation)
        guard output.succeeded else { return .failure(FirewallError(invocation, output)) }
        return .success(parse(iptablesSave: String(decoding: output.standardOutput, as: UTF8.self)))
    }
}
