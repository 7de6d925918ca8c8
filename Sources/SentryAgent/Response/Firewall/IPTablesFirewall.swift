import FoundationEssentials
import Shared

/// The fallback when `nft` is missing: a dedicated `VIGIL` chain in iptables' and ip6tables' `filter` table, jumped
/// to first from `INPUT` and `FORWARD`.
///
/// With ipset, the chain holds rules matching the sets `vigil4` and `vigil6` (`hash:ip … timeout 0`) and `vigil6net`
/// (`hash:net family inet6`, for IPv6 prefixes), and a block is a set member with its own timeout: the kernel expires
/// it. Without ipset, each block is a rule
/// `-s ADDR[/PREFIX] -m time --datestop <UTC> -m comment --comment vigil-until-<unix> -j DROP`: the `time` match stops dropping
/// at the expiry even if the agent is dead, and the agent deletes such inert rules whenever it next touches the chain.
struct IPTablesFirewall: Firewall {
    static let chain = "VIGIL"
    static let hookChains = ["INPUT", "FORWARD"]

    let iptables: String
    let ip6tables: String
    /// The ipset program, or nil to use one rule per address.
    let ipset: String?
    let runner: any CommandRunner
    var now: @Sendable () -> Date = Date.init

    var name: String { ipset == nil ? "iptables" : "iptables+ipset" }

    static func setName(for target: IPNetwork) -> String {
        target.address.isIPv4 ? "vigil4" : target.isHost ? "vigil6" : "vigil6net"
    }

    /// Each set with its ipset type and family, and the tool whose chain matches it.
    private var sets: [(name: String, type: String, family: String, tool: String)] {
        [("vigil4", "hash:ip", "inet", iptables), ("vigil6", "hash:ip", "inet6", ip6tables), ("vigil6net", "hash:net", "inet6", ip6tables)]
    }

    func prepare() async throws(FirewallError) {
        if let ipset {
            for set in sets {
                try await run(ipset, ["create", "-exist", set.name, set.type, "family", set.family, "timeout", "0", "maxelem", "1048576"])
            }
        }
        for tool in [iptables, ip6tables] {
            if !(await succeeds(tool, ["-w", "5", "-n", "-L", Self.chain])) {
                try await run(tool, ["-w", "5", "-N", Self.chain])
            }
            for set in sets where ipset != nil && set.tool == tool {
                let rule = ["-m", "set", "--match-set", set.name, "src", "-j", "DROP"]
                if !(await succeeds(tool, ["-w", "5", "-C", Self.chain] + rule)) {
                    try await run(tool, ["-w", "5", "-A", Self.chain] + rule)
                }
            }
            for hook in Self.hookChains where !(await succeeds(tool, ["-w", "5", "-C", hook, "-j", Self.chain])) {
                try await run(tool, ["-w", "5", "-I", hook, "1", "-j", Self.chain])
            }
        }
    }

    func entry(for target: IPNetwork) async throws(FirewallError) -> BlockEntry? {
        try await list(family: target.address.isIPv4).first { $0.target == target }
    }

    func add(_ targets: [IPNetwork], for duration: Duration?) async throws(FirewallError) {
        guard !targets.isEmpty else { return }
        let seconds = duration?.components.seconds
        if let ipset {
            // `-exist` makes a re-add replace the member's timeout; restore applies the batch in one call.
            let lines = targets.map { "add \(Self.setName(for: $0)) \($0.blockText) timeout \(seconds ?? 0)" }
            try await run(ipset, ["restore", "-exist"], input: lines.joined(separator: "\n") + "\n")
            return
        }
        let rules = try await ruleLines(ipv4: true) + (try await ruleLines(ipv4: false))
        for target in targets {
            for rule in rules where rule.target == target {
                try await run(tool(for: target), ["-w", "5", "-D", Self.chain] + rule.spec)
            }
            try await run(
                tool(for: target),
                ["-w", "5", "-A", Self.chain] + Self.ruleSpec(for: target, until: seconds.map { now().addingTimeInterval(TimeInterval($0)) }))
        }
    }

    func remove(_ target: IPNetwork) async throws(FirewallError) {
        if let ipset {
            try await run(ipset, ["del", "-exist", Self.setName(for: target), target.blockText])
            return
        }
        for rule in try await ruleLines(ipv4: target.address.isIPv4) where rule.target == target {
            try await run(tool(for: target), ["-w", "5", "-D", Self.chain] + rule.spec)
        }
    }

    func list() async throws(FirewallError) -> [BlockEntry] {
        try await list(family: true) + (try await list(family: false))
    }

    private func list(family ipv4: Bool) async throws(FirewallError) -> [BlockEntry] {
        if let ipset {
            var entries: [BlockEntry] = []
            for set in ipv4 ? ["vigil4"] : ["vigil6", "vigil6net"] {
                let output = try await run(ipset, ["save", set])
                entries += Self.entries(fromIPSetSave: String(decoding: output.standardOutput, as: UTF8.self))
            }
            return entries
        }
        var entries: [BlockEntry] = []
        let current = now()
        for rule in try await ruleLines(ipv4: ipv4) {
            guard let until = rule.until else {
                entries.append(BlockEntry(target: rule.target, timeLeft: nil))
                continue
            }
            let left = until.timeIntervalSince(current)
            if left > 0 {
                entries.append(BlockEntry(target: rule.target, timeLeft: .seconds(Int64(left.rounded(.down)))))
            } else {
                // Expired: the time match no longer drops; tidy the inert rule away.
                try await run(ipv4 ? iptables : ip6tables, ["-w", "5", "-D", Self.chain] + rule.spec)
            }
        }
        return entries
    }

    /// `-s ADDR[/PREFIX] [-m time --datestop …] -m comment --comment vigil-until-N|vigil-permanent -j DROP`.
    static func ruleSpec(for target: IPNetwork, until: Date?) -> [String] {
        var spec = ["-s", target.blockText]
        if let until {
            let stamp = Int64(until.timeIntervalSince1970.rounded(.up))
            // `--datestop` takes `YYYY-MM-DDThh:mm:ss` with no zone (`--utc` says which): the ISO 8601 UTC form minus its `Z`.
            let datestop = String(Date(timeIntervalSince1970: TimeInterval(stamp)).formatted(.iso8601).dropLast())
            spec += ["-m", "time", "--datestop", datestop, "--utc", "-m", "comment", "--comment", "vigil-until-\(stamp)"]
        } else {
            spec += ["-m", "comment", "--comment", "vigil-permanent"]
        }
        return spec + ["-j", "DROP"]
    }

    /// One of our per-address rules as `iptables -S VIGIL` prints it.
    struct RuleLine: Equatable {
        /// The blocked address or prefix (`iptables -S` prints a single address as `/32` or `/128`).
        var target: IPNetwork
        var until: Date?
        /// The words after `-A VIGIL`, usable with `-D VIGIL` to delete exactly this rule.
        var spec: [String]

        var address: IPAddress { target.address }
    }

    /// Our rules in `-S` output; other lines (the chain itself, set matches) are skipped.
    static func ruleLines(fromSave text: String) -> [RuleLine] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let words = line.split(separator: " ").map { $0.trimming(while: { $0 == "\"" }) }
            guard words.count > 4, words[0] == "-A", words[1] == chain, words[2] == "-s" else { return nil }
            guard let target = IPNetwork(words[3]) else { return nil }
            guard let comment = words.first(where: { $0.hasPrefix("vigil-until-") || $0 == "vigil-permanent" }) else { return nil }
            let until = Int64(comment.dropFirst("vigil-until-".count)).map { Date(timeIntervalSince1970: TimeInterval($0)) }
            return RuleLine(target: target, until: until, spec: Array(words.dropFirst(2)))
        }
    }

    /// Members in `ipset save` output: `add vigil4 1.2.3.4 timeout 3599`, `add vigil6net 2001:db8:1:2::/64 timeout 0`
    /// (timeout 0: permanent).
    static func entries(fromIPSetSave text: String) -> [BlockEntry] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let words = line.split(separator: " ")
            guard words.count >= 3, words[0] == "add", let target = IPNetwork(words[2]) else { return nil }
            var timeLeft: Duration?
            if let index = words.firstIndex(of: "timeout"), index + 1 < words.count, let seconds = Int64(words[index + 1]), seconds > 0 {
                timeLeft = .seconds(seconds)
            }
            return BlockEntry(target: target, timeLeft: timeLeft)
        }
    }

    private func ruleLines(ipv4: Bool) async throws(FirewallError) -> [RuleLine] {
        let output = try await run(ipv4 ? iptables : ip6tables, ["-w", "5", "-S", Self.chain])
        return Self.ruleLines(fromSave: String(decoding: output.standardOutput, as: UTF8.self))
    }

    private func tool(for target: IPNetwork) -> String { target.address.isIPv4 ? iptables : ip6tables }

    @discardableResult
    private func run(_ program: String, _ arguments: [String], input: String = "") async throws(FirewallError) -> ProgramOutput {
        let invocation = ProgramInvocation(program, arguments, standardInput: Array(input.utf8), timeout: .seconds(30))
        let output = await runner.run(invocation)
        guard output.succeeded else { throw FirewallError(invocation, output) }
        return output
    }

    private func succeeds(_ program: String, _ arguments: [String]) async -> Bool {
        await runner.run(ProgramInvocation(program, arguments)).succeeded
    }
}
