import Shared
import Testing

@testable import SentryAgent

@Suite("Strict parsing of the address to block")
struct BlockTargetTests {
    @Test(
        "hostile or malformed text is refused, never passed on",
        arguments: [
            "",
            "a\" | cmd | grep \"b",
            "1.2.3.4; reboot",
            "1.2.3.4 && rm -rf /",
            "$(reboot)",
            "`reboot`",
            "1.2.3.4|id",
            "1.2.3.4\n",
            "1.2.3.4\nflush ruleset",
            "\n1.2.3.4",
            " 1.2.3.4",
            "1.2.3.4 ",
            "1.2.3.4\t",
            "1.2.3.4\0",
            "0.0.0.0/0",
            "::/0",
            "10.0.0.0/8",
            "1.2.3.4/24",
            "1.2.3.4/",
            "1.2.3.4/32/32",
            "1.2.3.4/032",
            "1.2.3.4/33",
            "2001:db8::1/129",
            "001.2.3.4",
            "1.02.3.4",
            "1.2.3.04",
            "01.2.3.4",
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "1.2.3.-1",
            "0x7f.0.0.1",
            "2130706433",
            "127.1",
            "1.2.3.4:22",
            "[2001:db8::1]",
            "[2001:db8::1]:22",
            "fe80::1%eth0",
            "2001:db8::1::2",
            "2001:db8:0:0:0:0:0:0:1",
            "12345::1",
            "example.com",
            "localhost",
            "attacker.example",
            "１.２.３.４",
            "1.2.3.4\u{200B}",
            String(repeating: "1", count: 4096),
            String(repeating: "1.", count: 30) + "1",
            "::ffff:1.2.3.4/96",
        ])
    func refusesHostile(_ text: String) {
        guard case .failure = BlockTarget.parse(text) else {
            Issue.record("accepted \(text.debugDescription)")
            return
        }
    }

    @Test(
        "one address in any canonical-or-not spelling is accepted and printed canonically",
        arguments: [
            ("203.0.113.7", "203.0.113.7"),
            ("203.0.113.7/32", "203.0.113.7"),
            ("0.0.0.1", "0.0.0.1"),
            ("2001:DB8::7", "2001:db8::7"),
            ("2001:0db8:0000:0000:0000:0000:0000:0007", "2001:db8::7"),
            ("2001:db8::7/128", "2001:db8::7"),
            ("::ffff:203.0.113.7", "203.0.113.7"),
            ("::ffff:cb00:7107", "203.0.113.7"),
        ])
    func acceptsOneAddress(_ text: String, _ canonical: String) throws {
        let target = try BlockTarget.parse(text).get()
        #expect(target.isHost)
        #expect(target.blockText == canonical)
    }

    @Test("an IPv4-mapped IPv6 address is the IPv4 address, so the rails see through the disguise")
    func mappedIsIPv4() throws {
        #expect(try BlockTarget.parse("::ffff:127.0.0.1").get() == IPNetwork(host: IPAddress("127.0.0.1")!))
        #expect(try BlockTarget.parse("::ffff:7f00:1").get().address.isLoopback)
    }

    @Test("a network is refused with a reason naming it")
    func networkReason() {
        guard case .failure(let refusal) = BlockTarget.parse("10.0.0.0/8") else {
            Issue.record("accepted a /8")
            return
        }
        #expect(refusal.description.contains("10.0.0.0/8"))
    }

    @Test(
        "an IPv6 prefix from /48 to /128 is accepted, host bits zeroed, printed in CIDR form",
        arguments: [
            ("2001:db8:1:2::/64", "2001:db8:1:2::/64"),
            ("2001:DB8:1:2::9/64", "2001:db8:1:2::/64"),
            ("2001:db8:1:2:3:4:5:6/64", "2001:db8:1:2::/64"),
            ("2001:db8:1::/48", "2001:db8:1::/48"),
            ("2001:db8:1:ffff::/49", "2001:db8:1:8000::/49"),
            ("2001:db8::1:0/112", "2001:db8::1:0/112"),
            ("2001:db8::7/128", "2001:db8::7"),
        ])
    func acceptsIPv6Prefix(_ text: String, _ canonical: String) throws {
        #expect(try BlockTarget.parse(text).get().blockText == canonical)
    }

    @Test(
        "hostile prefixes are refused: too wide, out of range, IPv4 networks, spaces, garbage",
        arguments: [
            "::/0", "2001:db8::/0", "2001:db8::/47", "2001:db8::/32", "2001:db8::/1", "2001:db8::/129", "2001:db8::/1000", "2001:db8::/-64",
            "2001:db8::/064", "2001:db8::/64 ", " 2001:db8::/64", "2001:db8::/ 64", "2001:db8:: /64", "2001:db8::/64/64", "2001:db8::/6a",
            "2001:db8::/0x40", "2001:db8::/", "/64", "2001:db8::/64\n", "2001:db8::/64;flush ruleset", "1.2.3.0/24", "1.2.3.4/31",
            "0.0.0.0/0", "::ffff:1.2.3.0/120", "fe80::/64%eth0", "2001:db8::/６４",
        ])
    func refusesHostilePrefix(_ text: String) {
        guard case .failure = BlockTarget.parse(text) else {
            Issue.record("accepted \(text.debugDescription)")
            return
        }
    }

    @Test("the widest prefix follows responses.min_ipv6_prefix, and the refusal names the key")
    func minimumPrefixConfigurable() throws {
        #expect(try BlockTarget.parse("2001:db8::/32", minIPv6Prefix: 32).get().blockText == "2001:db8::/32")
        guard case .failure(let refusal) = BlockTarget.parse("2001:db8:1:2::/64", minIPv6Prefix: 96) else {
            Issue.record("accepted a /64 with a minimum of /96")
            return
        }
        #expect(refusal.description.contains("responses.min_ipv6_prefix"))
    }
}

@Suite("CIDR blocks for never_block")
struct IPNetworkTests {
    @Test(
        "host bits must be zero and the prefix plain decimal",
        arguments: ["10.0.0.1/8", "10.0.0.0/08", "10.0.0.0/+8", "10.0.0.0/ 8", "::1/200", "x/8"])
    func strict(_ text: String) {
        #expect(IPNetwork(text) == nil)
    }

    @Test("contains and overlaps follow the prefix, per family")
    func containment() throws {
        let network = try #require(IPNetwork("10.20.0.0/16"))
        #expect(network.contains(IPAddress("10.20.255.1")!))
        #expect(!network.contains(IPAddress("10.21.0.1")!))
        #expect(!network.contains(IPAddress("::ffff:a15:1")!))
        let v6 = try #require(IPNetwork("2001:db8:8000::/33"))
        #expect(v6.contains(IPAddress("2001:db8:ffff::1")!))
        #expect(!v6.contains(IPAddress("2001:db8:7fff::1")!))
        #expect(!v6.contains(IPAddress("10.20.0.1")!))
        #expect(try #require(IPNetwork("0.0.0.0/0")).contains(IPAddress("8.8.8.8")!))
        #expect(try #require(IPNetwork("::/0")).contains(IPAddress("2001:db8::1")!))
        #expect(try #require(IPNetwork("2001:db8::1/128")).contains(IPAddress("2001:db8::1")!))
        #expect(network.overlaps(try #require(IPNetwork("10.20.3.0/24"))))
        #expect(!network.overlaps(try #require(IPNetwork("10.21.0.0/16"))))
    }
}
