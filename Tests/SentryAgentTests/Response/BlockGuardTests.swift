import Shared
import Testing

@testable import SentryAgent

@Suite("Addresses the agent never blocks")
struct BlockGuardTests {
    let guardrail = BlockGuard(
        neverBlock: [IPNetwork("192.0.2.0/24")!, IPNetwork("2001:db8:aaaa::/48")!],
        hubAddresses: [IPAddress("198.51.100.10")!, IPAddress("2001:db8:1::10")!],
        localAddresses: { [IPAddress("203.0.113.5")!, IPAddress("2001:db8:2::5")!] }
    )

    @Test(
        "loopback, unspecified, multicast, link-local, the hub, own addresses and never_block are refused",
        arguments: [
            ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"),
            ("0.0.0.0", "unicast"), ("::", "unicast"), ("224.0.0.1", "unicast"), ("255.255.255.255", "unicast"), ("ff02::1", "unicast"),
            ("169.254.1.1", "link-local"), ("fe80::1", "link-local"),
            ("198.51.100.10", "hub"), ("2001:db8:1::10", "hub"), ("::ffff:198.51.100.10", "hub"),
            ("203.0.113.5", "this host"), ("2001:db8:2::5", "this host"),
            ("192.0.2.77", "never_block"), ("2001:db8:aaaa:1::9", "never_block"),
        ])
    func refused(_ text: String, _ reason: String) throws {
        let address = try BlockTarget.parse(text).get()
        let refusal = try #require(guardrail.refusal(for: address))
        #expect(refusal.description.contains(reason))
    }

    @Test("an ordinary remote address passes", arguments: ["198.51.100.11", "203.0.113.6", "2001:db8:3::1", "8.8.8.8"])
    func allowed(_ text: String) throws {
        #expect(guardrail.refusal(for: try BlockTarget.parse(text).get()) == nil)
    }

    @Test(
        "an IPv6 prefix is refused when any of it is protected: loopback, multicast, link-local, the hub, this host, never_block",
        arguments: [
            ("::/64", "loopback"), ("ff02::/64", "multicast"), ("fe80::/64", "link-local"), ("fe80:0:0:1::/64", "link-local"),
            ("2001:db8:1::/64", "hub"), ("2001:db8:1::/48", "hub"), ("2001:db8:2::/56", "this host"),
            ("2001:db8:aaaa:1::/64", "never_block"), ("2001:db8:aaaa::/48", "never_block"),
        ])
    func prefixRefused(_ text: String, _ reason: String) throws {
        let target = try BlockTarget.parse(text).get()
        let refusal = try #require(guardrail.refusal(for: target), "\(text) was allowed")
        #expect(refusal.description.contains(reason))
    }

    @Test("a remote IPv6 prefix that touches nothing protected passes", arguments: ["2001:db8:3::/48", "2001:db8:1:1::/64", "2001:db8:2:1::/64"])
    func prefixAllowed(_ text: String) throws {
        #expect(guardrail.refusal(for: try BlockTarget.parse(text).get()) == nil)
    }

    @Test("the host's real interface addresses include loopback, so the default source is live")
    func realInterfaces() {
        #expect(InterfaceAddresses.current().contains(IPAddress("127.0.0.1")!))
    }
}
