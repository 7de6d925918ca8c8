import Foundation
import Shared

/// Blocks with nftables: one `table inet vigil` holding two timeout sets, dropped in both the `input` hook and the
/// `forward` hook (Docker-published ports are forwarded, never seen by input).
///
/// ```
/// table inet vigil {
///     set blocked4 { type ipv4_addr; flags timeout; }
///     set blocked6 { type ipv6_addr; flags timeout; }
///     chain input   { type filter hook input priority filter - 10; policy accept; ip saddr @blocked4 drop; ip6 saddr @blocked6 drop }
///     chain forward { type filter hook forward priority filter - 10; policy accept; (the same two rules) }
/// }
/// ```
/// Every change is one `nft -f -` transaction: it applies whole or not at all.
struct NFTablesFirewall: Firewall {
    static let table = "vigil"

    let nft: String
    let runner: any CommandRunner
    var name: String { "nftables" }

    /// The setup transaction. `add` leaves existing objects (and their elements: blocks survive an agent restart)
    /// alone; the chains are flushed and refilled so a re-run never duplicates a rule.
    static let setupScript = """
        add table inet vigil
        add set inet vigil blocked4 { type ipv4_addr; flags timeout; }
        add set inet vigil blocked6 { type ipv6_addr; flags timeout; }
        add chain inet vigil input { type filter hook input priority filter - 10; policy accept; }
        add chain inet vigil forward { type filter hook forward priority filter - 10; policy accept; }
        flush chain inet vigil input
        flush chain inet vigil forward
        add rule inet vigil input ip saddr @blocked4 counter drop
        add rule inet vigil input ip6 saddr @blocked6 counter drop
        add rule inet vigil forward ip saddr @blocked4 counter drop
        add rule inet vigil forward ip6 saddr @blocked6 counter drop

        """

    static func setName(for address: IPAddress) -> String { address.isIPv4 ? "blocked4" : "blocked6" }

    func prepare() async throws(FirewallError) {
        try await transaction(Self.setupScript)
    }

    func entry(for address: IPAddress) async throws(FirewallError) -> BlockEntry? {
        let invocation = ProgramInvocation(nft, ["get", "element", "inet", Self.table, Self.setName(for: address), "{ \(address) }"])
        let output = await runner.run(invocation)
        guard output.succeeded else {
            // ENOENT is nft's way of saying "not in the set"; anything else is a real failure.
            if case .exited = output.termination, output.errorText.contains("No such file or directory") { return nil }
            throw FirewallError(invocation, output)
        }
        return NFTElementText.entry(for: address, in: String(decoding: output.standardOutput, as: UTF8.self))
    }

    func add(_ addresses: [IPAddress], for duration: Duration?) async throws(FirewallError) {
        guard !addresses.isEmpty else { return }
        // add (so it exists) + delete + add with the new timeout: re-adding alone would keep the old expiry.
        let timeout = duration.map { " timeout \($0.components.seconds)s" } ?? ""
        var script = ""
        for (set, members) in Self.bySet(addresses) {
            let plain = members.map(\.description).joined(separator: ", ")
            let timed = members.map { "\($0)\(timeout)" }.joined(separator: ", ")
            script += "add element inet vigil \(set) { \(plain) }\n"
            script += "delete element inet vigil \(set) { \(plain) }\n"
            script += "add element inet vigil \(set) { \(timed) }\n"
        }
        try await transaction(script)
    }

    func remove(_ address: IPAddress) async throws(FirewallError) {
        try await transaction("delete element inet vigil \(Self.setName(for: address)) { \(address) }\n")
    }

    func list() async throws(FirewallError) -> [BlockEntry] {
        let invocation = ProgramInvocation(nft, ["-j", "list", "table", "inet", Self.table], timeout: .seconds(30))
        let output = await runner.run(invocation)
        guard output.succeeded else { throw FirewallError(invocation, output) }
        guard let entries = NFTElementText.entries(fromJSON: output.standardOutput) else {
            throw FirewallError("nft printed a table listing that is not the expected JSON")
        }
        return entries
    }

    private func transaction(_ script: String) async throws(FirewallError) {
        let invocation = ProgramInvocation(nft, ["-f", "-"], standardInput: Array(script.utf8), timeout: .seconds(30))
        let output = await runner.run(invocation)
        guard output.succeeded else { throw FirewallError(invocation, output) }
    }

    private static func bySet(_ addresses: [IPAddress]) -> [(String, [IPAddress])] {
        let v4 = addresses.filter(\.isIPv4)
        let v6 = addresses.filter { !$0.isIPv4 }
        return [("blocked4", v4), ("blocked6", v6)].filter { !$0.1.isEmpty }
    }
}

/// Reads what nft prints about set elements.
enum NFTElementText {
    /// The element for `address` in `nft get element` text output:
    /// `elements = { 1.2.3.4 timeout 1h expires 59m59s980ms }`, or `elements = { 1.2.3.4 }` when permanent.
    static func entry(for address: IPAddress, in text: String) -> BlockEntry? {
        guard let open = text.range(of: "elements = {"), let close = text[open.upperBound...].firstIndex(of: "}") else { return nil }
        let words = text[open.upperBound..<close].split(whereSeparator: { $0 == " " || $0 == "," || $0.isNewline || $0 == "\t" })
        guard let index = words.firstIndex(where: { IPAddress($0) == address }) else { return nil }
        var timeLeft: Duration?
        var cursor = words.index(after: index)
        // The element's attributes run until the next address.
        while cursor < words.endIndex, IPAddress(words[cursor]) == nil {
            if words[cursor] == "expires", words.index(after: cursor) < words.endIndex {
                timeLeft = parseDuration(words[words.index(after: cursor)])
            }
            cursor = words.index(after: cursor)
        }
        return BlockEntry(address: address, timeLeft: timeLeft)
    }

    /// Parses nft's time format: `1d2h3m4s5ms`.
    static func parseDuration(_ text: some StringProtocol) -> Duration? {
        guard !text.isEmpty else { return nil }
        var milliseconds: Int64 = 0
        var number: Int64 = 0
        var sawDigit = false
        var bytes = Array(text.utf8)[...]
        while let byte = bytes.first {
            bytes = bytes.dropFirst()
            if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                number = number &* 10 &+ Int64(byte - UInt8(ascii: "0"))
                sawDigit = true
                continue
            }
            guard sawDigit else { return nil }
            switch byte {
            case UInt8(ascii: "d"): milliseconds += number * 86_400_000
            case UInt8(ascii: "h"): milliseconds += number * 3_600_000
            case UInt8(ascii: "s"): milliseconds += number * 1000
            case UInt8(ascii: "m"):
                if bytes.first == UInt8(ascii: "s") {
                    bytes = bytes.dropFirst()
                    milliseconds += number
                } else {
                    milliseconds += number * 60_000
                }
            default: return nil
            }
            number = 0
            sawDigit = false
        }
        guard !sawDigit else { return nil }
        return .milliseconds(milliseconds)
    }

    /// Every element of `blocked4` and `blocked6` in `nft -j list table inet vigil` output. Elements print as a bare
    /// string when permanent, or as `{"elem": {"val": "1.2.3.4", "timeout": 3600, "expires": 3599}}`.
    static func entries(fromJSON bytes: [UInt8]) -> [BlockEntry]? {
        guard let root = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            let objects = root["nftables"] as? [[String: Any]]
        else { return nil }
        var entries: [BlockEntry] = []
        for object in objects {
            guard let set = object["set"] as? [String: Any], let name = set["name"] as? String,
                name == "blocked4" || name == "blocked6"
            else { continue }
            for element in set["elem"] as? [Any] ?? [] {
                if let text = element as? String, let address = IPAddress(text) {
                    entries.append(BlockEntry(address: address, timeLeft: nil))
                } else if let wrapper = element as? [String: Any], let fields = wrapper["elem"] as? [String: Any],
                    let text = fields["val"] as? String, let address = IPAddress(text)
                {
                    let expires = (fields["expires"] as? NSNumber)?.int64Value
                    entries.append(BlockEntry(address: address, timeLeft: expires.map { .seconds($0) }))
                }
            }
        }
        return entries
    }
}
