import Foundation
import Shared

/// The fallback when `nft` is missing: a dedicated `VIGIL` chain in iptables' and ip6tables' `filter` table, jumped
/// to first from `INPUT` and `FORWARD`.
///
/// With ipset, the chain holds two rules matching the sets `vigil4` and `vigil6` (`hash:ip … timeout 0`), and a block
/// is a set member with its own timeout: the kernel expires it. Without ipset, each block is a rule
/// `-s ADDR -m time --datestop <UTC> -m comment --comment vigil-until-<unix> -j DROP`: the `time` match stops dropping
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

    static func setName(for address: IPAddress) -> String { address.isIPv4 ? "vigil4" : "vigil6" }

    func prepare() async throws(FirewallError) {
        if let ipset {
            for (set, family) in [("vigil4", "inet"), ("vigil6", "inet6")] {
                try await run(ipset, ["create", "-exist", set, "hash:ip", "family", family, "timeout", "0", "maxelem", "1048576"])
            }
        }
        for (tool, set) in [(iptables, "vigil4"), (ip6tables, "vigil6")] {
            if !(await succeeds(tool, ["-w", "5", "-n", "-L", Self.chain])) {
                try await run(tool, ["-w", "5", "-N", Self.chain])
            }
            if ipset != nil {
                let rule = ["-m", "set", "--match-set", set, "src", "-j", "DROP"]
                if !(await succeeds(tool, ["-w", "5", "-C", Self.chain] + rule)) {
                    try await run(tool, ["-w", "5", "-A", Self.chain] + rule)
                }
            }
            for hook in Self.hookChains where !(await succeeds(tool, ["-w", "5", "-C", hook, "-j", Self.chain])) {
                try await run(tool, ["-w", "5", "-I", hook, "1", "-j", Self.chain])
            }
        }
    }

    func entry(for address: IPAddress) async throws(FirewallError) -> BlockEntry? {
        try await list(family: address.isIPv4).first { $0.address == address }
    }

    func add(_ addresses: [IPAddress], for duration: Duration?) async throws(FirewallError) {
        guard !addresses.isEmpty else { return }
        let seconds = duration?.components.seconds
        if let ipset {
            // `-exist` makes a re-add replace the member's timeout; restore applies the batch in one call.
            let lines = addresses.map { "add \(Self.setName(for: $0)) \($0) timeout \(seconds ?? 0)" }
            try await run(ipset, ["restore", "-exist"], input: lines.joined(separator: "\n") + "\n")
            return
        }
        let rules = try await ruleLines(ipv4: true) + (try await ruleLines(ipv4: false))
        for address in addresses {
            for rule in rules where rule.address == address {
                try await run(tool(for: address), ["-w", "5", "-D", Self.chain] + rule.spec)
            }
            try await run(
                tool(for: address),
                ["-w", "5", "-A", Self.chain] + Self.ruleSpec(for: address, until: seconds.map { now().addingTimeInterval(TimeInterval($0)) }))
        }
    }

    func remove(_ address: IPAddress) async throws(FirewallError) {
        if let ipset {
            try await run(ipset, ["del", "-exist", Self.setName(for: address), address.description])
            return
        }
        for rule in try await ruleLines(ipv4: address.isIPv4) where rule.address == address {
            try await run(tool(for: address), ["-w", "5", "-D", Self.chain] + rule.spec)
        }
    }

    func list() async throws(FirewallError) -> [BlockEntry] {
        try await list(family: true) + (try await list(family: false))
    }

    private func list(family ipv4: Bool) async throws(FirewallError) -> [BlockEntry] {
        if let ipset {
            let output = try await run(ipset, ["save", ipv4 ? "vigil4" : "vigil6"])
            return Self.entries(fromIPSetSave: String(decoding: output.standardOutput, as: UTF8.self))
        }
        var entries: [BlockEntry] = []
        let current = now()
        for rule in try await ruleLines(ipv4: ipv4) {
            guard let until = rule.until else {
                entries.append(BlockEntry(address: rule.address, timeLeft: nil))
                continue
            }
            let left = until.timeIntervalSince(current)
            if left > 0 {
                entries.append(BlockEntry(address: rule.address, timeLeft: .seconds(Int64(left.rounded(.down)))))
            } else {
                // Expired: the time match no longer drops; tidy the inert rule away.
                try await run(ipv4 ? iptables : ip6tables, ["-w", "5", "-D", Self.chain] + rule.spec)
            }
        }
        return entries
    }

    /// `-s ADDR [-m time --datestop …] -m comment --comment vigil-until-N|vigil-permanent -j DROP`.
    static func ruleSpec(for address: IPAddress, until: Date?) -> [String] {
        var spec = ["-s", address.description]
        if let until {
            let stamp = Int64(until.timeIntervalSince1970.rounded(.up))
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withFullDate, .withTime, .withDashSeparatorInDate, .withColonSeparatorInTime]
            formatter.timeZone = TimeZone(identifier: "UTC")
            let datestop = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(stamp)))
            spec += ["-m", "time", "--datestop", datestop, "--utc", "-m", "comment", "--comment", "vigil-until-\(stamp)"]
        } else {
            spec += ["-m", "comment", "--comment", "vigil-permanent"]
        }
        return spec + ["-j", "DROP"]
    }

    /// One of our per-address rules as `iptables -S VIGIL` prints it.
    struct RuleLine: Equatable {
        var address: IPAddress
        var until: Date?
        /// The words after `-A VIGIL`, usable with `-D VIGIL` to delete exactly this rule.
        var spec: [String]
    }

    /// Our rules in `-S` output; other lines (the chain itself, set matches) are skipped.
    static func ruleLines(fromSave text: String) -> [RuleLine] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let words = line.split(separator: " ").map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            guard words.count > 4, words[0] == "-A", words[1] == chain, words[2] == "-s" else { return nil }
            let host = words[3].split(separator: "/").first.map(String.init) ?? words[3]
            guard let address = IPAddress(host) else { return nil }
            guard let comment = words.first(where: { $0.hasPrefix("vigil-until-") || $0 == "vigil-permanent" }) else { return nil }
            let until = Int64(comment.dropFirst("vigil-until-".count)).map { Date(timeIntervalSince1970: TimeInterval($0)) }
            return RuleLine(address: address, until: until, spec: Array(words.dropFirst(2)))
        }
    }

    /// Members in `ipset save` output: `add vigil4 1.2.3.4 timeout 3599` (timeout 0: permanent).
    static func entries(fromIPSetSave text: String) -> [BlockEntry] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let words = line.split(separator: " ")
            guard words.count >= 3, words[0] == "add", let address = IPAddress(words[2]) else { return nil }
            var timeLeft: Duration?
            if let index = words.firstIndex(of: "timeout"), index + 1 < words.count, let seconds = Int64(words[index + 1]), seconds > 0 {
                timeLeft = .seconds(seconds)
            }
            return BlockEntry(address: address, timeLeft: timeLeft)
        }
    }

    private func ruleLines(ipv4: Bool) async throws(FirewallError) -> [RuleLine] {
        let output = try await run(ipv4 ? iptables : ip6tables, ["-w", "5", "-S", Self.chain])
        return Self.ruleLines(fromSave: String(decoding: output.standardOutput, as: UTF8.self))
    }

    private func tool(for address: IPAddress) -> String { address.isIPv4 ? iptables : ip6tables }

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
