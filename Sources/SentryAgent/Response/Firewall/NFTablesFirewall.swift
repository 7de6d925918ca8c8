import FoundationEssentials
import Shared

/// Blocks with nftables: one `table inet vigil` holding three timeout sets (IPv4 addresses, IPv6 addresses, and IPv6
/// prefixes in an interval set), dropped in both the `input` hook and the `forward` hook (Docker-published ports are
/// forwarded, never seen by input).
///
/// ```
/// table inet vigil {
///     set blocked4 { type ipv4_addr; flags timeout; }
///     set blocked6 { type ipv6_addr; flags timeout; }
///     set blocked6net { type ipv6_addr; flags interval, timeout; }
///     chain input   { type filter hook input priority filter - 10; policy accept;
///                     ip saddr @blocked4 drop; ip6 saddr @blocked6 drop; ip6 saddr @blocked6net drop }
///     chain forward { type filter hook forward priority filter - 10; policy accept; (the same three rules) }
/// }
/// ```
/// An interval set refuses overlapping elements; `BlockResponder` refuses a prefix overlapping a blocked one first.
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
        add set inet vigil blocked6net { type ipv6_addr; flags interval, timeout; }
        add chain inet vigil input { type filter hook input priority filter - 10; policy accept; }
        add chain inet vigil forward { type filter hook forward priority filter - 10; policy accept; }
        flush chain inet vigil input
        flush chain inet vigil forward
        add rule inet vigil input ip saddr @blocked4 counter drop
        add rule inet vigil input ip6 saddr @blocked6 counter drop
        add rule inet vigil input ip6 saddr @blocked6net counter drop
        add rule inet vigil forward ip saddr @blocked4 counter drop
        add rule inet vigil forward ip6 saddr @blocked6 counter drop
        add rule inet vigil forward ip6 saddr @blocked6net counter drop

        """

    static func setName(for target: IPNetwork) -> String {
        target.address.isIPv4 ? "blocked4" : target.isHost ? "blocked6" : "blocked6net"
    }

    func prepare() async throws(FirewallError) {
        try await transaction(Self.setupScript)
    }

    func entry(for target: IPNetwork) async throws(FirewallError) -> BlockEntry? {
        // `get element` on an interval set omits the timeout, so a prefix is looked up in the full listing.
        guard target.isHost else { return try await list().first { $0.target == target } }
        let address = target.address
        let invocation = ProgramInvocation(nft, ["get", "element", "inet", Self.table, Self.setName(for: target), "{ \(address) }"])
        let output = await runner.run(invocation)
        guard output.succeeded else {
            // ENOENT is nft's way of saying "not in the set"; anything else is a real failure.
            if case .exited = output.termination, output.errorText.contains("No such file or directory") { return nil }
            throw FirewallError(invocation, output)
        }
        return NFTElementText.entry(for: address, in: String(decoding: output.standardOutput, as: UTF8.self))
    }

    func add(_ targets: [IPNetwork], for duration: Duration?) async throws(FirewallError) {
        guard !targets.isEmpty else { return }
        // add (so it exists) + delete + add with the new timeout: re-adding alone would keep the old expiry.
        let timeout = duration.map { " timeout \($0.components.seconds)s" } ?? ""
        var script = ""
        for (set, members) in Self.bySet(targets) {
            let plain = members.map(\.blockText).joined(separator: ", ")
            let timed = members.map { "\($0.blockText)\(timeout)" }.joined(separator: ", ")
            script += "add element inet vigil \(set) { \(plain) }\n"
            script += "delete element inet vigil \(set) { \(plain) }\n"
            script += "add element inet vigil \(set) { \(timed) }\n"
        }
        try await transaction(script)
    }

    func remove(_ target: IPNetwork) async throws(FirewallError) {
        try await transaction("delete element inet vigil \(Self.setName(for: target)) { \(target.blockText) }\n")
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

    private static func bySet(_ targets: [IPNetwork]) -> [(String, [IPNetwork])] {
        ["blocked4", "blocked6", "blocked6net"].map { set in (set, targets.filter { setName(for: $0) == set }) }.filter { !$0.1.isEmpty }
    }
}

/// Reads what nft prints about set elements.
enum NFTElementText {
    /// The element for `address` in `nft get element` text output:
    /// `elements = { 1.2.3.4 timeout 1h expires 59m59s980ms }`, or `elements = { 1.2.3.4 }` when permanent.
    static func entry(for address: IPAddress, in text: String) -> BlockEntry? {
        guard let open = text.firstRange(of: "elements = {"), let close = text[open.upperBound...].firstIndex(of: "}") else { return nil }
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

    /// Every element of `blocked4`, `blocked6` and `blocked6net` in `nft -j list table inet vigil` output. Elements
    /// print as a bare string when permanent, or as `{"elem": {"val": "1.2.3.4", "timeout": 3600, "expires": 3599}}`;
    /// in the interval set the value is `{"prefix": {"addr": "2001:db8:1:2::", "len": 64}}` instead of a string.
    static func entries(fromJSON bytes: [UInt8]) -> [BlockEntry]? {
        guard let root = try? JSONDecoder().decode(NFTJSONValue.self, from: Data(bytes)), let objects = root["nftables"]?.array else { return nil }
        var entries: [BlockEntry] = []
        for object in objects {
            guard let set = object["set"], let name = set["name"]?.string, ["blocked4", "blocked6", "blocked6net"].contains(name) else { continue }
            for element in set["elem"]?.array ?? [] {
                if let target = target(element) {
                    entries.append(BlockEntry(target: target, timeLeft: nil))
                } else if let fields = element["elem"], let value = fields["val"], let target = target(value) {
                    entries.append(BlockEntry(target: target, timeLeft: fields["expires"]?.integer.map { .seconds($0) }))
                }
            }
        }
        return entries
    }

    /// An element's value: `"1.2.3.4"` or `{"prefix": {"addr": "2001:db8::", "len": 64}}`.
    private static func target(_ value: NFTJSONValue) -> IPNetwork? {
        if let text = value.string { return IPAddress(text).map(IPNetwork.init(host:)) }
        guard let prefix = value["prefix"], let text = prefix["addr"]?.string, let address = IPAddress(text),
            let length = prefix["len"]?.integer.map(Int.init), (0...address.bitWidth).contains(length)
        else { return nil }
        return IPNetwork(address: address, prefixLength: length)
    }
}

/// Any JSON value, for walking nft's output whose element shapes vary (a string, or an object of several forms).
/// FoundationEssentials has no `JSONSerialization`.
private enum NFTJSONValue: Decodable {
    case string(String)
    case integer(Int64)
    case other
    case array([NFTJSONValue])
    case object([String: NFTJSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Each decode below is a question about the value's type; a mismatch only means "not this type".
        if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let number = try? container.decode(Int64.self) {
            self = .integer(number)
        } else if let array = try? container.decode([NFTJSONValue].self) {
            self = .array(array)
        } else if let object = try? container.decode([String: NFTJSONValue].self) {
            self = .object(object)
        } else {
            self = .other
        }
    }

    subscript(key: String) -> NFTJSONValue? {
        if case .object(let object) = self { object[key] } else { nil }
    }

    var string: String? {
        if case .string(let text) = self { text } else { nil }
    }

    var integer: Int64? {
        if case .integer(let number) = self { number } else { nil }
    }

    var array: [NFTJSONValue]? {
        if case .array(let array) = self { array } else { nil }
    }
}
