import Foundation
import Shared
import VigilTestSupport

/// Canonical's OSV records in the shapes the archive holds (schema 1.7 with the priority in `severity`, and the older
/// one with plain `CVE-` ids and `ubuntu_priority`), written for the tests: every rule of `UbuntuOSVRecord` has a record.
enum UbuntuOSVFixture {
    /// The archive's members, by path.
    static let records: [String: String] = [
        // Fixed in noble and jammy; 9.8 from its vector.
        "osv/cve/2024/UBUNTU-CVE-2024-1001.json": #"""
        {"schema_version": "1.7.0", "id": "UBUNTU-CVE-2024-1001", "upstream": ["CVE-2024-1001"], "details": "a {brace} and a \"quote\" in text",
         "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}, {"type": "Ubuntu", "score": "high"}],
         "affected": [
          {"package": {"ecosystem": "Ubuntu:24.04:LTS", "name": "openssl", "purl": "pkg:deb/ubuntu/openssl@3.0.13-0ubuntu3.4?arch=source&distro=noble"},
           "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.13-0ubuntu3.4"}]}],
           "versions": ["3.0.13-0ubuntu3", "3.0.13-0ubuntu3.1"],
           "ecosystem_specific": {"binaries": [{"binary_name": "libssl3t64", "binary_version": "3.0.13-0ubuntu3.4"}], "availability": "No subscription required"}},
          {"package": {"ecosystem": "Ubuntu:22.04:LTS", "name": "openssl"},
           "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.2-0ubuntu1.18"}]}]}
         ]}
        """#,
        // Vulnerable in noble, no fix: no `fixed` event.
        "osv/cve/2024/UBUNTU-CVE-2024-1002.json": #"""
        {"id": "UBUNTU-CVE-2024-1002", "severity": [{"type": "Ubuntu", "score": "medium"}],
         "affected": [{"package": {"ecosystem": "Ubuntu:24.04:LTS", "name": "curl"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}
        """#,
        // The older schema: plain CVE id, the priority in ecosystem_specific; fixed only in Ubuntu Pro (ESM).
        "osv/cve/2024/CVE-2024-1003.json": #"""
        {"schema_version": "1.6.3", "id": "CVE-2024-1003", "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H"}],
         "affected": [
          {"package": {"ecosystem": "Ubuntu:24.04:LTS", "name": "zlib"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
           "ecosystem_specific": {"ubuntu_priority": "low"}},
          {"package": {"ecosystem": "Ubuntu:Pro:24.04:LTS", "name": "zlib"},
           "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:1.3.dfsg-3.1ubuntu2.1+esm1"}]}],
           "ecosystem_specific": {"binaries": [{"zlib1g": "1:1.3.dfsg-3.1ubuntu2.1+esm1"}], "availability": "Available with Ubuntu Pro: https://ubuntu.com/pro", "ubuntu_priority": "low"}}
         ]}
        """#,
        // Withdrawn: describes nothing.
        "osv/cve/2024/UBUNTU-CVE-2024-1004.json": #"""
        {"id": "UBUNTU-CVE-2024-1004", "withdrawn": "2024-06-01T00:00:00Z", "severity": [{"type": "Ubuntu", "score": "high"}],
         "affected": [{"package": {"ecosystem": "Ubuntu:24.04:LTS", "name": "openssl"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}
        """#,
        // Fixed in a version older than the one installed: not affected.
        "osv/cve/2024/UBUNTU-CVE-2024-1005.json": #"""
        {"id": "UBUNTU-CVE-2024-1005", "severity": [{"type": "Ubuntu", "score": "high"}],
         "affected": [{"package": {"ecosystem": "Ubuntu:24.04:LTS", "name": "openssl"},
           "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.13-0ubuntu3.1"}]}]}]}
        """#,
        // Another release only (focal).
        "osv/cve/2024/UBUNTU-CVE-2024-1006.json": #"""
        {"id": "UBUNTU-CVE-2024-1006", "severity": [{"type": "Ubuntu", "score": "critical"}],
         "affected": [{"package": {"ecosystem": "Ubuntu:20.04:LTS", "name": "curl"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}
        """#,
        // A vector that does not parse: the priority ranks it (critical), the CVE is kept.
        "osv/cve/2024/UBUNTU-CVE-2024-1007.json": #"""
        {"id": "UBUNTU-CVE-2024-1007", "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:X"}, {"type": "Ubuntu", "score": "critical"}],
         "affected": [{"package": {"ecosystem": "Ubuntu:24.04:LTS", "name": "curl"},
           "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "8.5.0-2ubuntu10.5"}]}]}]}
        """#,
        // A notice: its fixes are the CVE records' already; never read.
        "osv/usn/USN-7000-1.json": #"""
        {"id": "USN-7000-1", "upstream": ["UBUNTU-CVE-2024-1002"],
         "affected": [{"package": {"ecosystem": "Ubuntu:24.04:LTS", "name": "curl"},
           "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "99.0-1"}]}]}]}
        """#,
    ]

    /// Rows stored for noble (1001 openssl, 1002 curl, 1003 zlib, 1005 openssl, 1007 curl) and jammy (1001 openssl).
    static let storedAdvisories = 6

    /// An Ubuntu 24.04 host: openssl below 1001's fix and above 1005's, curl below 1007's, zlib below the Pro fix.
    static func nobleInventory(agent: String = "web-4", versionId: String? = "24.04") -> PackageInventory {
        PackageInventory(
            agent: agent, hostname: agent, distribution: "ubuntu", release: "noble",
            sources: [
                .init(name: "curl", version: "8.5.0-2ubuntu10.4", binaries: []),
                .init(name: "openssl", version: "3.0.13-0ubuntu3.2", binaries: []),
                .init(name: "zlib", version: "1:1.3.dfsg-3.1ubuntu2", binaries: []),
            ], collectedAt: Date(timeIntervalSince1970: 1_700_000_000), versionId: versionId)
    }

    /// An Ubuntu 22.04 host with openssl below 1001's jammy fix.
    static func jammyInventory() -> PackageInventory {
        PackageInventory(
            agent: "old-2", hostname: "old-2", distribution: "ubuntu", release: "jammy",
            sources: [.init(name: "openssl", version: "3.0.2-0ubuntu1.10", binaries: [])], collectedAt: Date(timeIntervalSince1970: 1_700_000_000),
            versionId: "22.04")
    }

    /// `osv-all.tar.xz` of `records`, made by the real `tar` and `xz`; its bytes.
    static func archive(_ records: [String: String] = records) async throws -> [UInt8] {
        let directory = try TemporaryDirectory("vigil-osv")
        defer { directory.remove() }
        for (path, text) in records {
            let file = directory.file(path)
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(filePath: file))
        }
        let made = try await ProgramRun.run(["/usr/bin/tar", "-C", directory.path, "-cJf", directory.file("osv-all.tar.xz"), "osv"])
        guard made.status == 0 else { throw TestFailure("tar -cJf: \(made.errors)") }
        return Array(try Data(contentsOf: URL(filePath: directory.file("osv-all.tar.xz"))))
    }
}
