import Foundation
import Shared
import Testing

@testable import SentryAgent

@Suite("Reading what nft, iptables and ipset print")
struct FirewallOutputTests {
    @Test(
        "nft time strings",
        arguments: [("59m59s980ms", 3_599_980), ("1h", 3_600_000), ("23d23h59m59s992ms", 2_073_599_992), ("42s", 42_000), ("5ms", 5)])
    func nftDurations(_ text: String, _ milliseconds: Int64) {
        #expect(NFTElementText.parseDuration(text) == .milliseconds(milliseconds))
    }

    @Test("malformed nft time strings are rejected", arguments: ["", "h", "5", "5x", "m5"])
    func badDurations(_ text: String) {
        #expect(NFTElementText.parseDuration(text) == nil)
    }

    @Test("a get element answer gives the time left, or permanent")
    func getElement() {
        let text = """
            table inet vigil {
            \tset blocked4 {
            \t\ttype ipv4_addr
            \t\tflags timeout
            \t\telements = { 1.2.3.4 timeout 2h expires 1h59m59s980ms, 1.2.3.5 }
            \t}
            }
            """
        #expect(
            NFTElementText.entry(for: IPAddress("1.2.3.4")!, in: text)
                == BlockEntry(address: IPAddress("1.2.3.4")!, timeLeft: .milliseconds(7_199_980)))
        #expect(NFTElementText.entry(for: IPAddress("1.2.3.5")!, in: text) == BlockEntry(address: IPAddress("1.2.3.5")!, timeLeft: nil))
        #expect(NFTElementText.entry(for: IPAddress("1.2.3.6")!, in: text) == nil)
    }

    @Test("the JSON table listing gives every element of both sets")
    func listing() {
        let json = """
            {"nftables": [{"metainfo": {"version": "1.0.6"}}, {"table": {"family": "inet", "name": "vigil"}},
            {"set": {"family": "inet", "name": "blocked4", "table": "vigil", "type": "ipv4_addr", "flags": ["timeout"],
             "elem": [{"elem": {"val": "1.2.3.4", "timeout": 3600, "expires": 3599}}, "1.2.3.5"]}},
            {"set": {"family": "inet", "name": "blocked6", "table": "vigil", "type": "ipv6_addr", "flags": ["timeout"],
             "elem": [{"elem": {"val": "2001:db8::1", "timeout": 60, "expires": 12}}]}},
            {"set": {"family": "inet", "name": "other", "elem": ["9.9.9.9"]}}]}
            """
        let entries = NFTElementText.entries(fromJSON: Array(json.utf8))
        #expect(
            entries == [
                BlockEntry(address: IPAddress("1.2.3.4")!, timeLeft: .seconds(3599)), BlockEntry(address: IPAddress("1.2.3.5")!, timeLeft: nil),
                BlockEntry(address: IPAddress("2001:db8::1")!, timeLeft: .seconds(12)),
            ])
        #expect(NFTElementText.entries(fromJSON: Array("not json".utf8)) == nil)
    }

    @Test("iptables -S rules are read back with their expiry and deletable spec")
    func iptablesRules() {
        let text = """
            -N VIGIL
            -A VIGIL -m set --match-set vigil4 src -j DROP
            -A VIGIL -s 10.1.1.1/32 -m time --datestop 2030-01-01T00:00:00 -m comment --comment vigil-until-1893456000 -j DROP
            -A VIGIL -s 2001:db8::1/128 -m comment --comment vigil-permanent -j DROP
            -A VIGIL -s 10.9.9.9/32 -j DROP
            """
        let rules = IPTablesFirewall.ruleLines(fromSave: text)
        #expect(rules.map(\.address) == [IPAddress("10.1.1.1")!, IPAddress("2001:db8::1")!])
        #expect(rules[0].until == Date(timeIntervalSince1970: 1_893_456_000))
        #expect(rules[1].until == nil)
        #expect(rules[0].spec.first == "-s")
        #expect(rules[0].spec.last == "DROP")
    }

    @Test("a per-address iptables rule stops matching at its expiry in UTC")
    func iptablesSpec() {
        let spec = IPTablesFirewall.ruleSpec(for: IPNetwork(host: IPAddress("10.1.1.1")!), until: Date(timeIntervalSince1970: 1_893_456_000))
        #expect(
            spec == [
                "-s", "10.1.1.1", "-m", "time", "--datestop", "2030-01-01T00:00:00", "--utc", "-m", "comment", "--comment",
                "vigil-until-1893456000", "-j", "DROP",
            ])
    }

    @Test("IPv6 prefixes are read back from nft's interval set, ipset's hash:net and iptables -S, in CIDR form")
    func prefixListings() throws {
        let json = """
            {"nftables": [{"set": {"family": "inet", "name": "blocked6net", "table": "vigil", "type": "ipv6_addr", "flags": ["interval", "timeout"],
             "elem": [{"elem": {"val": {"prefix": {"addr": "2001:db8:1:2::", "len": 64}}, "timeout": 3600, "expires": 3599}},
                      {"prefix": {"addr": "2001:db8:9::", "len": 48}}, {"prefix": {"addr": "2001:db8:9::", "len": 999}}]}}]}
            """
        let prefix64 = IPNetwork("2001:db8:1:2::/64")!
        let prefix48 = IPNetwork("2001:db8:9::/48")!
        #expect(
            NFTElementText.entries(fromJSON: Array(json.utf8)) == [
                BlockEntry(target: prefix64, timeLeft: .seconds(3599)), BlockEntry(target: prefix48, timeLeft: nil),
            ])
        let ipset = """
            create vigil6net hash:net family inet6 hashsize 1024 maxelem 1048576 timeout 0 bucketsize 12 initval 0x3d05b056
            add vigil6net 2001:db8:9::/48 timeout 0
            add vigil6net 2001:db8:1:2::/64 timeout 3599
            """
        #expect(
            IPTablesFirewall.entries(fromIPSetSave: ipset) == [
                BlockEntry(target: prefix48, timeLeft: nil), BlockEntry(target: prefix64, timeLeft: .seconds(3599)),
            ])
        let rules = IPTablesFirewall.ruleLines(fromSave: "-A VIGIL -s 2001:db8:1:2::/64 -m comment --comment vigil-permanent -j DROP\n")
        #expect(rules.map(\.target) == [prefix64])
        #expect(IPTablesFirewall.ruleSpec(for: prefix64, until: nil).prefix(2) == ["-s", "2001:db8:1:2::/64"])
        #expect(BlockEntry(target: prefix64, timeLeft: nil).description == "2001:db8:1:2::/64 (permanent)")
        #expect(NFTablesFirewall.setName(for: prefix64) == "blocked6net" && IPTablesFirewall.setName(for: prefix64) == "vigil6net")
        #expect(NFTablesFirewall.setName(for: IPNetwork(host: IPAddress("2001:db8::1")!)) == "blocked6")
    }

    @Test("ipset save members: timeout 0 is permanent")
    func ipsetSave() {
        let text = """
            create vigil4 hash:ip family inet hashsize 1024 maxelem 65536 timeout 0 bucketsize 12 initval 0xad0cbe3a
            add vigil4 1.2.3.5 timeout 199
            add vigil4 1.2.3.4 timeout 0
            """
        #expect(
            IPTablesFirewall.entries(fromIPSetSave: text) == [
                BlockEntry(address: IPAddress("1.2.3.5")!, timeLeft: .seconds(199)), BlockEntry(address: IPAddress("1.2.3.4")!, timeLeft: nil),
            ])
    }

    @Test("the backend is chosen automatically: nft first, then iptables with ipset, then plain iptables")
    func selection() throws {
        let runner = RecordingCommandRunner()
        var locator = ProgramLocator()
        guard locator.path(of: "nft") != nil, locator.path(of: "iptables") != nil, locator.path(of: "ipset") != nil else { return }
        #expect(try FirewallSelector(locator: locator, runner: runner).select(.auto).name == "nftables")
        locator.hidden = ["nft"]
        #expect(try FirewallSelector(locator: locator, runner: runner).select(.auto).name == "iptables+ipset")
        locator.hidden = ["nft", "ipset"]
        #expect(try FirewallSelector(locator: locator, runner: runner).select(.auto).name == "iptables")
        #expect(throws: FirewallSelector.Unavailable.self) { try FirewallSelector(locator: locator, runner: runner).select(.nftables) }
        locator.hidden = ["nft", "iptables"]
        #expect(throws: FirewallSelector.Unavailable.self) { try FirewallSelector(locator: locator, runner: runner).select(.auto) }
    }
}
