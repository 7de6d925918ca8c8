import Foundation
import Shared
import Testing

@testable import SentryAgent

/// Log lines shaped by an attacker to put an innocent address (192.0.2.99) into an SSH alert, and IPv6 guessers
/// rotating through their /64.
@Suite("sshd lines that try to frame another address")
struct SSHHostileInputTests {
    @Test(
        "a user name or a certificate key ID carrying 'from 192.0.2.99 port 22' never supplies the address",
        arguments: [
            // Older sshd writes no port after an invalid user's address: the name's fake port was taken as sshd's.
            ("Invalid user x from 192.0.2.99 port 22 from 203.0.113.5", "203.0.113.5"),
            ("Invalid user x from 192.0.2.99 port 22 from 203.0.113.5 port 40000", "203.0.113.5"),
            ("Failed password for invalid user x from 192.0.2.99 port 22 ssh2 from 203.0.113.5 port 4000 ssh2", "203.0.113.5"),
            (
                "error: maximum authentication attempts exceeded for x from 192.0.2.99 port 22 from 203.0.113.5 port 4000 ssh2 [preauth]",
                "203.0.113.5"
            ),
            ("Connection closed by authenticating user x 192.0.2.99 port 22 203.0.113.5 port 4000 [preauth]", "203.0.113.5"),
        ])
    func userNameCannotFrame(_ text: String, _ ip: String) throws {
        let parsed = try #require(SSHLogMessageTests.failure(text))
        #expect(parsed.ip == ip)
    }

    @Test("a certificate's key ID after 'ssh2:' cannot supply the address of an accepted login")
    func certificateKeyID() throws {
        let line =
            "Accepted publickey for alice from 203.0.113.5 port 50000 ssh2: ED25519-CERT SHA256:abc ID x from 192.0.2.99 port 22 (serial 7) CA ED25519 SHA256:def"
        let parsed = try #require(SSHLogMessageTests.accepted(line))
        #expect(parsed.ip == "203.0.113.5" && parsed.port == 50000 && parsed.user == "alice")
    }

    @Test(
        "a line whose real address is not an address (a host name from UseDNS, garbage after it) is no event, never the name's address",
        arguments: [
            "Invalid user x from 192.0.2.99 port 22 from attacker.example.com",
            "Invalid user x from 192.0.2.99 port 22 from 203.0.113.5 extra",
            "Failed password for x from 192.0.2.99 port 22 ssh2 from attacker.example.com port 4000 ssh2",
            "Accepted password for x from 192.0.2.99 port 22 ssh2 junk",
        ])
    func unreadableTailIsNoEvent(_ text: String) {
        #expect(SSHLogMessageTests.parse(text).0 == nil)
    }

    @Test("in a syslog file, a line without a header (or an sshd tag without a pid) is not sshd's; sshd's own -E file still is")
    func headerlessLinesInSyslogFiles() {
        let (start, outlet) = SSHDetectorTests.consumer(sessions: false)
        var consumer = start
        let forged = bytes("Failed password for root from 192.0.2.99 port 22 ssh2")
        let untagged = bytes("Nov 22 02:51:07 web sshd: Failed password for root from 192.0.2.99 port 22 ssh2")
        let real = bytes("Nov 22 02:51:07 web sshd[812]: Connection from 203.0.113.5 port 4000 on 192.0.2.1 port 22")
        let syslogFile: UInt64 = 1
        let sshdOwnFile: UInt64 = 2
        real.withLine { consumer.consume($0, origin: LineOrigin(stream: syslogFile, offset: 1)) }
        for index in 0..<10 {
            forged.withLine { consumer.consume($0, origin: LineOrigin(stream: syslogFile, offset: Int64(2 + index))) }
            untagged.withLine { consumer.consume($0, origin: LineOrigin(stream: syslogFile, offset: Int64(20 + index))) }
        }
        _ = consumer.flush()
        #expect(outlet.detections.isEmpty)
        for index in 0..<6 {
            forged.withLine { consumer.consume($0, origin: LineOrigin(stream: sshdOwnFile, offset: Int64(index))) }
        }
        _ = consumer.flush()
        #expect(outlet.detections.map(\.kind) == [.sshBruteForce])
    }

    @Test("guesses from rotating addresses of one /64 fill one bucket; the alert names the /64 and the addresses")
    func ipv6Rotation() throws {
        var detector = SSHBruteForceDetector(configuration: .init())
        var alert: Detection?
        for index in 0..<6 {
            let address = try #require(IPAddress("2001:db8:1:2::\(index + 1)"))
            alert = detector.failure(.failedPassword, user: "root", ip: IPKey(address), time: SSHDetectorTests.now + Int64(index), origin: nil)
        }
        guard case .sshBruteForce(let evidence)? = alert?.subject else {
            Issue.record("no brute-force alert for the /64")
            return
        }
        #expect(evidence.ip == "2001:db8:1:2::/64")
        #expect(evidence.addresses == (1...6).map { "2001:db8:1:2::\($0)" })
        var exact = SSHBruteForceDetector(configuration: .init(ipv6Prefix: 128))
        for index in 0..<6 {
            let address = try #require(IPAddress("2001:db8:1:2::\(index + 1)"))
            #expect(exact.failure(.failedPassword, user: "root", ip: IPKey(address), time: SSHDetectorTests.now + Int64(index), origin: nil) == nil)
        }
    }
}
