import Foundation
import Testing
import VigilTestSupport

@testable import BotHub

@Suite("bothub vulns check: a dpkg status file against a tracker feed, by the tracker's rules")
struct OfflineCheckTests {
    private func check(release: String = "bookworm", feed: String = TrackerFixture.feed) throws -> [VulnerabilityFinding] {
        try withTemporaryDirectorySync { directory in
            try Data(feed.utf8).write(to: URL(filePath: directory + "/feed.json"))
            try Data(TrackerFixture.status.utf8).write(to: URL(filePath: directory + "/status"))
            return try OfflineCheck(feedPath: directory + "/feed.json", release: release, statusPath: directory + "/status").run().findings
        }
    }

    private func withTemporaryDirectorySync<T>(_ body: (String) throws -> T) throws -> T {
        let directory = try TemporaryDirectory("vigil-vulns")
        defer { directory.remove() }
        return try body(directory.path)
    }

    @Test("each rule: fixed later → vulnerable, fixed 0 / fixed earlier / equal → not, open → no fix, ignored and undetermined hidden")
    func rules() throws {
        let findings = try check()
        let expected = [
            // binNMU: the source version 2.36-9+deb12u3 is below the fix (the binary's +b1 is not); both binaries, one line.
            VulnerabilityFinding(cve: "CVE-2025-0001", source: "glibc", installed: "2.36-9+deb12u3", fixed: "2.36-9+deb12u3+b1", urgency: "medium"),
            // open with an empty nodsa_reason: vulnerable, no fix. The key was written with a JSON escape.
            VulnerabilityFinding(cve: "CVE-2024-0200", source: "libssh", installed: "0.10.6-0+deb12u1", fixed: nil, urgency: "medium"),
            // resolved in a later version; urgency "high**" read as high.
            VulnerabilityFinding(cve: "CVE-2024-0001", source: "openssl", installed: "3.0.15-1~deb12u1", fixed: "3.0.16-1~deb12u1", urgency: "high"),
            // open, postponed: vulnerable, no fix.
            VulnerabilityFinding(cve: "CVE-2024-0005", source: "openssl", installed: "3.0.15-1~deb12u1", fixed: nil, urgency: "low"),
            VulnerabilityFinding(cve: "TEMP-0000000-ABCDEF", source: "openssl", installed: "3.0.15-1~deb12u1", fixed: nil, urgency: "unimportant"),
        ]
        #expect(findings == expected)
    }

    @Test("another release's entries are its own: bullseye sees only its rows")
    func otherRelease() throws {
        let findings = try check(release: "bullseye")
        // openssl 3.0.15 against bullseye's fix 1.1.1w-0+deb11u2: not below it; CVE-2024-0007 is open there.
        #expect(findings.map(\.cve) == ["CVE-2024-0007"])
        #expect(try check(release: "trixie").isEmpty)
    }

    @Test("a JSON line has all six keys, null where there is no fix or score")
    func jsonLine() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let line = String(
            decoding: try encoder.encode(VulnerabilityFinding(cve: "CVE-1", source: "s", installed: "1.0-1", fixed: nil, urgency: "low")),
            as: UTF8.self)
        #expect(line == #"{"cve":"CVE-1","fixed":null,"installed":"1.0-1","score":null,"source":"s","urgency":"low"}"#)
    }

    @Test("an unknown status is refused, naming the package, the CVE and the offset of the package's value")
    func unknownStatus() throws {
        let feed = #"{"openssl": {"CVE-1": {"releases": {"bookworm": {"status": "fixed"}}}}}"#
        let error = try #require(throws: TrackerFeedError.self) { try check(feed: feed) }
        #expect(error.description.contains("openssl"))
        #expect(error.description.contains("CVE-1"))
        #expect(error.description.contains("byte 12"))
    }

    @Test("a feed cut short is refused, not matched as far as it went")
    func truncated() throws {
        let feed = String(TrackerFixture.feed.dropLast(40))
        let error = try #require(throws: TrackerFeedError.self) { try check(feed: feed) }
        #expect(error.description.contains("ends before"))
    }

    @Test("only the installed sources are decoded: a broken entry of another package does not matter, one of ours does")
    func decodesOnlyInstalled() throws {
        let broken = #"{"other": {"CVE-9": 7}, "openssl": {"CVE-2024-0005": {"releases": {"bookworm": {"status": "open"}}}}}"#
        #expect(try check(feed: broken).map(\.cve) == ["CVE-2024-0005"])
        let ours = #"{"openssl": {"CVE-9": 7}}"#
        let error = try #require(throws: TrackerFeedError.self) { try check(feed: ours) }
        #expect(error.description.contains("openssl"))
    }
}
