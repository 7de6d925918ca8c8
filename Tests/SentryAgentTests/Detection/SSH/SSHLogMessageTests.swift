import Shared
import Testing

@testable import SentryAgent

@Suite("sshd messages and syslog headers")
struct SSHLogMessageTests {
    static func parse(_ text: String) -> (SSHLogMessage?, [UInt8]) {
        let line = bytes(text)
        return (line.withLine { SSHLogMessage.parse($0, 0..<$0.count) }, line)
    }

    static func accepted(_ text: String) -> (method: String, user: String, ip: String, port: Int)? {
        let (message, line) = parse(text)
        guard case .accepted(let method, let user, let ip, let port)? = message else { return nil }
        return line.withLine { ($0.string(method), $0.string(user), ip.description, port) }
    }

    static func failure(_ text: String) -> (kind: SSHFailure, user: String?, ip: String)? {
        let (message, line) = parse(text)
        guard case .failure(let kind, let user, let ip)? = message else { return nil }
        return line.withLine { (kind, user.map($0.string), ip.description) }
    }

    @Test(
        "every authentication method OpenSSH logs as Accepted is read, IPv4 and IPv6",
        arguments: [
            ("Accepted password for alice from 203.0.113.7 port 51022 ssh2", "password", "alice", "203.0.113.7", 51022),
            ("Accepted publickey for bob from 2001:db8::1 port 22 ssh2: ED25519 SHA256:abc", "publickey", "bob", "2001:db8::1", 22),
            ("Accepted keyboard-interactive/pam for carol from 192.0.2.1 port 1 ssh2", "keyboard-interactive/pam", "carol", "192.0.2.1", 1),
            (
                "Accepted gssapi-with-mic for dan@EXAMPLE.ORG from ::ffff:192.0.2.9 port 65535 ssh2", "gssapi-with-mic", "dan@EXAMPLE.ORG",
                "192.0.2.9", 65535
            ),
        ])
    func acceptedMethods(_ text: String, _ method: String, _ user: String, _ ip: String, _ port: Int) throws {
        let parsed = try #require(Self.accepted(text))
        #expect(parsed.method == method && parsed.user == user && parsed.ip == ip && parsed.port == port)
    }

    @Test(
        "each failure line the brute-force detector counts is recognised, with the user where sshd names one",
        arguments: [
            ("Failed password for root from 198.51.100.1 port 4000 ssh2", SSHFailure.failedPassword, "root"),
            ("Failed password for invalid user admin from 198.51.100.1 port 4000 ssh2", .failedPassword, "admin"),
            ("Failed keyboard-interactive/pam for invalid user pi from 198.51.100.1 port 4000 ssh2", .failedPassword, "pi"),
            ("Invalid user oracle from 198.51.100.1 port 4000", .invalidUser, "oracle"),
            ("Invalid user oracle from 198.51.100.1", .invalidUser, "oracle"),
            (
                "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.1  user=root",
                .authenticationFailure, "root"
            ),
            ("PAM: Authentication failure for erin from 198.51.100.1", .authenticationFailure, "erin"),
            ("error: maximum authentication attempts exceeded for root from 198.51.100.1 port 4000 ssh2 [preauth]", .maximumAttemptsExceeded, "root"),
            (
                "maximum authentication attempts exceeded for invalid user test from 198.51.100.1 port 4000 ssh2 [preauth]",
                .maximumAttemptsExceeded, "test"
            ),
            ("Connection closed by authenticating user ubuntu 198.51.100.1 port 4000 [preauth]", .closedDuringAuthentication, "ubuntu"),
        ])
    func failures(_ text: String, _ kind: SSHFailure, _ user: String) throws {
        let parsed = try #require(Self.failure(text))
        #expect(parsed.kind == kind && parsed.user == user && parsed.ip == "198.51.100.1")
    }

    @Test("PAM's line without user= (an unknown user) still counts, with no user")
    func pamWithoutUser() throws {
        let parsed = try #require(
            Self.failure("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.2"))
        #expect(parsed.kind == .authenticationFailure && parsed.user == nil && parsed.ip == "198.51.100.2")
    }

    @Test("a user name carrying a fake 'from IP port' cannot move the alert to another address")
    func injectedUserName() throws {
        let parsed = try #require(Self.failure("Failed password for invalid user x from 6.6.6.6 port 22 ssh2 from 198.51.100.3 port 4000 ssh2"))
        #expect(parsed.ip == "198.51.100.3")
        #expect(parsed.user == "x from 6.6.6.6 port 22 ssh2")
    }

    @Test(
        "lines that are not authentication events are ignored",
        arguments: [
            "Failed publickey for alice from 198.51.100.1 port 4000 ssh2: RSA SHA256:x",
            "pam_unix(sshd:auth): check pass; user unknown",
            "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=198.51.100.1  user=root",
            "Connection closed by invalid user admin 198.51.100.23 port 40222 [preauth]",
            "Received disconnect from 198.51.100.1 port 4000:11: Bye Bye [preauth]",
            "Accepted password for alice from not-an-ip port 22 ssh2",
            "Accepted password for alice from 300.1.2.3 port 22 ssh2",
            "Server listening on 0.0.0.0 port 22.",
            "",
        ])
    func ignored(_ text: String) {
        #expect(Self.parse(text).0 == nil)
    }

    @Test("syslog headers: traditional (with a one-digit day), RFC 3339, sshd-session, and sshd -E lines without a header")
    func syslogHeaders() {
        let reference = utc(2025, 11, 22, 12)
        let traditional = bytes("Nov  2 09:14:07 rhel9 sshd[3301]: Accepted password for dave from 10.1.2.3 port 52000 ssh2")
        traditional.withLine { line in
            let header = SyslogLine.parse(line, reference: reference, utcOffset: 3600)
            #expect(header.time == utc(2025, 11, 2, 8, 14, 7))
            #expect(header.pid == 3301 && line.string(header.program) == "sshd" && header.isSSHServer(line))
            #expect(line.string(header.message).hasPrefix("Accepted password"))
        }
        let rfc = bytes(
            "2025-11-22T02:51:03.117283+01:00 web2 sshd-session[2201]: Accepted keyboard-interactive/pam for bob from 192.0.2.10 port 1 ssh2")
        rfc.withLine { line in
            let header = SyslogLine.parse(line, reference: reference, utcOffset: 0)
            #expect(header.time == utc(2025, 11, 22, 1, 51, 3))
            #expect(header.pid == 2201 && line.string(header.program) == "sshd-session" && header.isSSHServer(line))
        }
        let other = bytes("Nov 22 02:55:00 web1 sudo:    alice : TTY=pts/0 ; COMMAND=/usr/bin/true")
        other.withLine { line in
            let header = SyslogLine.parse(line, reference: reference, utcOffset: 0)
            #expect(!header.isSSHServer(line) && header.pid == nil)
        }
        let headerless = bytes("Accepted password for erin from 127.0.0.1 port 46992 ssh2\r")
        headerless.withLine { line in
            let header = SyslogLine.parse(line, reference: reference, utcOffset: 0)
            #expect(header.time == nil && header.pid == nil && header.isSSHServer(line))
            #expect(line.string(header.message) == "Accepted password for erin from 127.0.0.1 port 46992 ssh2")
        }
    }

    @Test("a traditional timestamp from late December read in early January belongs to the previous year")
    func yearRollover() {
        bytes("Dec 31 23:59:59 h sshd[1]: x").withLine { line in
            #expect(SyslogLine.parse(line, reference: utc(2026, 1, 1, 0, 0, 30), utcOffset: 0).time == utc(2025, 12, 31, 23, 59, 59))
        }
    }
}
