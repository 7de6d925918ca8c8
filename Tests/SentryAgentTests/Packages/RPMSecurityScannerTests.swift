import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

@Suite("dnf's advisory list and rpm's package list, parsed")
struct DnfAdvisoryListTests {
    /// Captured from dnf 4.14 (`LC_ALL=C dnf -C updateinfo list --security --available`) against the test repository.
    static let captured = """
        Last metadata expiration check: 1 day, 2:03:04 ago on Mon Nov 30 09:26:08 2026.
        VIGIL-2026:0001 Important/Sec. vigil-canary-1.0-2.noarch
        VIGIL-2026:0002 Unknown/Sec.   vigil-canary-1.0-2.noarch
        VIGIL-2026:0002 Unknown/Sec.   vigil-other-2:3.1-5.el9.noarch
        RHSA-2025:1234  Critical/Sec.  openssl-libs-1:3.0.7-27.el9.x86_64
        VIGIL-2026:0003 bugfix         vigil-other-2:3.1-5.el9.noarch
        This system is not registered with an entitlement server.

        """

    @Test("advisory, severity and NEVRA of every security line; the metadata age from dnf's own line; other types and notices skipped")
    func parsesCapturedOutput() throws {
        let parsed = DnfAdvisoryList.parse(Self.captured)
        #expect(parsed.metadataAgeSeconds == 93_784, "1 day, 2:03:04")
        #expect(parsed.refused == [])
        #expect(parsed.advisories.map(\.id) == ["VIGIL-2026:0001", "VIGIL-2026:0002", "VIGIL-2026:0002", "RHSA-2025:1234"])
        #expect(parsed.advisories.map(\.severity) == ["Important", "Unknown", "Unknown", "Critical"])
        #expect(parsed.advisories.map(\.name) == ["vigil-canary", "vigil-canary", "vigil-other", "openssl-libs"])
        #expect(parsed.advisories.map(\.architecture) == ["noarch", "noarch", "noarch", "x86_64"])
        #expect(parsed.advisories.map(\.version.description) == ["1.0-2", "1.0-2", "2:3.1-5.el9", "1:3.0.7-27.el9"])
    }

    @Test("metadata ages as Python's timedelta prints them", arguments: [("0:00:42", 42), ("3:04:05", 11045), ("2 days, 0:00:01", 172_801)])
    func metadataAge(text: String, seconds: Int64) {
        #expect(DnfAdvisoryList.metadataAge("Last metadata expiration check: \(text) ago on Mon Nov 30 09:26:08 2026.") == seconds)
    }

    @Test("a NEVRA without version and release is refused, named")
    func badNEVRA() {
        let parsed = DnfAdvisoryList.parse("X-1 Important/Sec. broken.noarch\n")
        #expect(parsed.advisories.isEmpty)
        #expect(parsed.refused.count == 1)
        #expect(parsed.refused.first?.hasPrefix("X-1 broken.noarch") == true)
    }

    @Test("rpm -qa lines: epoch 0 is left out of the version, the source RPM's name kept, gpg-pubkey skipped")
    func installedPackages() {
        let (packages, refused) = RPMInstalledPackage.parse(
            "openssl-libs\t1\t3.0.7\t24.el9\tx86_64\topenssl-3.0.7-24.el9.src.rpm\nbash\t0\t5.1.8\t6.el9_1\tx86_64\tbash-5.1.8-6.el9_1.src.rpm\n"
                + "gpg-pubkey\t0\tfd431d51\t4ae0493b\t(none)\t(none)\n")
        #expect(refused == [])
        #expect(packages.map(\.name) == ["openssl-libs", "bash"])
        #expect(packages.map(\.version.description) == ["1:3.0.7-24.el9", "5.1.8-6.el9_1"])
        #expect(packages.map(\.source) == ["openssl", "bash"])
    }

    @Test("pending: newer than the newest installed, advisories merged, the worst severity kept; grouped by source, kernel first, no pins")
    func matching() throws {
        let installed = RPMInstalledPackage.parse(
            "kernel-core\t0\t5.14.0\t362.8.1.el9_3\tx86_64\tkernel-5.14.0-362.8.1.el9_3.src.rpm\n"
                + "kernel-core\t0\t5.14.0\t362.24.1.el9_3\tx86_64\tkernel-5.14.0-362.24.1.el9_3.src.rpm\n"
                + "openssl-libs\t1\t3.0.7\t24.el9\tx86_64\topenssl-3.0.7-24.el9.src.rpm\n"
        ).packages
        let advisories = DnfAdvisoryList.parse(
            """
            RHSA-2025:1 Moderate/Sec. openssl-libs-1:3.0.7-25.el9.x86_64
            RHSA-2025:2 Important/Sec. openssl-libs-1:3.0.7-27.el9.x86_64
            RHSA-2025:3 Important/Sec. kernel-core-5.14.0-362.13.1.el9_3.x86_64
            RHSA-2025:4 Important/Sec. kernel-core-5.14.0-362.30.1.el9_3.x86_64

            """
        ).advisories
        let pending = RPMSecurityScan.match(advisories, installed: installed)
        #expect(pending.map(\.package) == ["kernel-core", "openssl-libs"])
        #expect(pending.map(\.installed.description) == ["5.14.0-362.24.1.el9_3", "1:3.0.7-24.el9"])
        #expect(pending.map(\.candidate.description) == ["5.14.0-362.30.1.el9_3", "1:3.0.7-27.el9"])
        #expect(pending.map(\.advisories) == [["RHSA-2025:4"], ["RHSA-2025:1", "RHSA-2025:2"]])
        #expect(pending.map(\.severity) == ["Important", "Important"])
        let scan = RPMSecurityScan(pending: pending, installedCount: installed.count, metadataAgeSeconds: nil, refused: [])
        #expect(scan.sources.map(\.source) == ["kernel", "openssl"])
        #expect(scan.sources.map(\.needsReboot) == [true, false])
        #expect(scan.sources.map(\.packages) == [["kernel-core.x86_64"], ["openssl-libs.x86_64"]])
        #expect(scan.sources.allSatisfy { $0.pins == nil })
    }

    @Test(
        "the package family from os-release, else from the package managers present",
        arguments: [
            (["ID": "rhel", "ID_LIKE": "fedora"], PackageFamily.rhel), (["ID": "rocky", "ID_LIKE": "rhel centos fedora"], .rhel),
            (["ID": "fedora"], .rhel), (["ID": "debian"], .debian), (["ID": "ubuntu", "ID_LIKE": "debian"], .debian),
        ])
    func family(osRelease: [String: String], expected: PackageFamily) {
        #expect(PackageFamily.detect(osRelease: osRelease, hasProgram: { _ in true }) == expected)
    }

    @Test("without os-release: dnf and no dpkg is RPM-based")
    func familyFromPrograms() {
        #expect(PackageFamily.detect(osRelease: [:], hasProgram: { $0 == "/usr/bin/dnf" }) == .rhel)
        #expect(PackageFamily.detect(osRelease: [:], hasProgram: { _ in true }) == .debian)
    }
}

/// The RPM scan against real dnf and rpm, offline: two noarch canaries built with `rpmbuild`, a local repository made
/// with `createrepo_c` carrying a security advisory added by `modifyrepo_c`, and an rpm database in a throw-away
/// `--installroot` holding the old versions. dnf reads only the test's repository (`reposdir`) and cache.
@Suite("RPM security scan with real dnf", .serialized, .system)
struct RPMSecurityScannerSystemTests {
    static let canRun = ["/usr/bin/rpmbuild", "/usr/bin/rpm", "/usr/bin/dnf", "/usr/bin/createrepo_c", "/usr/bin/modifyrepo_c"].allSatisfy {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    static let updateInfo = """
        <?xml version="1.0" encoding="UTF-8"?>
        <updates>
          <update from="tests@example.invalid" status="stable" type="security" version="1"><id>VIGIL-2026:0001</id><title>canary</title>
            <severity>Important</severity><issued date="2026-01-01 00:00:00"/>
            <pkglist><collection short="v"><name>v</name>
              <package name="vigil-canary" version="1.0" release="2" epoch="0" arch="noarch"><filename>vigil-canary-1.0-2.noarch.rpm</filename></package>
            </collection></pkglist></update>
          <update from="tests@example.invalid" status="stable" type="security" version="1"><id>VIGIL-2026:0002</id><title>both</title>
            <issued date="2026-01-02 00:00:00"/>
            <pkglist><collection short="v"><name>v</name>
              <package name="vigil-other" version="3.1" release="5.el9" epoch="2" arch="noarch"><filename>vigil-other-3.1-5.el9.noarch.rpm</filename></package>
              <package name="vigil-canary" version="1.0" release="2" epoch="0" arch="noarch"><filename>vigil-canary-1.0-2.noarch.rpm</filename></package>
            </collection></pkglist></update>
          <update from="tests@example.invalid" status="stable" type="bugfix" version="1"><id>VIGIL-2026:0003</id><title>not security</title>
            <issued date="2026-01-03 00:00:00"/>
            <pkglist><collection short="v"><name>v</name>
              <package name="vigil-bystander" version="1.0" release="2" epoch="0" arch="noarch"><filename>vigil-bystander-1.0-2.noarch.rpm</filename></package>
            </collection></pkglist></update>
        </updates>

        """

    /// Builds the packages, the repository and the install root under `root`; returns the scanner pointed at them.
    static func sandbox(_ root: String) async throws -> RPMSecurityScanner {
        let script = """
            set -e
            cd '\(root)'
            build() { # name epoch version release
              mkdir -p specs
              printf 'Name: %s\\nEpoch: %s\\nVersion: %s\\nRelease: %s\\nSummary: canary\\nLicense: MIT\\nBuildArch: noarch\\n%%description\\ncanary\\n%%files\\n' \\
                "$1" "$2" "$3" "$4" > "specs/$1-$4.spec"
              [ "$2" = 0 ] && sed -i '/^Epoch: /d' "specs/$1-$4.spec"
              rpmbuild --quiet --define "_topdir $PWD/top" --define "_rpmdir $PWD/rpms" -bb "specs/$1-$4.spec" >/dev/null
            }
            build vigil-canary 0 1.0 1; build vigil-canary 0 1.0 2
            build vigil-other 2 3.1 4.el9; build vigil-other 2 3.1 5.el9
            build vigil-bystander 0 1.0 1; build vigil-bystander 0 1.0 2
            mkdir -p repo repos fs cache
            mkdir -p makecache-log
            cp rpms/noarch/*-2.noarch.rpm rpms/noarch/*-5.el9.noarch.rpm repo/
            createrepo_c --quiet repo
            modifyrepo_c --mdtype=updateinfo updateinfo.xml repo/repodata >/dev/null
            printf '[vigil-security]\\nname=vigil\\nbaseurl=file://%s/repo\\ngpgcheck=0\\nenabled=1\\n' "$PWD" > repos/vigil.repo
            rpm --root "$PWD/fs" --initdb
            rpm --root "$PWD/fs" -i --nodeps rpms/noarch/vigil-canary-1.0-1.noarch.rpm rpms/noarch/vigil-other-3.1-4.el9.noarch.rpm \\
              rpms/noarch/vigil-bystander-1.0-1.noarch.rpm 2>/dev/null
            """
        try Self.updateInfo.write(toFile: root + "/updateinfo.xml", atomically: true, encoding: .utf8)
        let environment = ["HOME": "/root"]
        let built = await ProcessCommandRunner().run(ProgramInvocation("/bin/sh", ["-c", script], timeout: .seconds(300), environment: environment))
        guard built.succeeded else { throw SandboxFailure("building the rpm repository: \(built.failureReason)") }
        var scanner = RPMSecurityScanner(runner: ProcessCommandRunner())
        scanner.dnfOptions = [
            "--installroot=\(root)/fs", "--setopt=reposdir=\(root)/repos", "--setopt=cachedir=\(root)/cache", "--releasever=9", "--nogpgcheck",
            "--noplugins",
        ]
        // Not created beforehand: the scanner makes it (dnf fails without one it can write).
        scanner.logDirectory = root + "/log"
        scanner.rpmOptions = ["--root", root + "/fs"]
        scanner.environment = environment
        // The metadata cache the scan reads (`-C`): on a host, dnf's makecache timer keeps it.
        let cached = await ProcessCommandRunner().run(
            ProgramInvocation(
                "/usr/bin/dnf", scanner.dnfOptions + ["--setopt=logdir=\(root)/makecache-log", "makecache"], timeout: .seconds(300),
                environment: environment))
        guard cached.succeeded else { throw SandboxFailure("dnf makecache: \(cached.failureReason)") }
        // Metadata fetched three days ago: dnf states the age (it stays silent about an age of 0 s), and it is stale.
        let aged = await ProcessCommandRunner().run(
            ProgramInvocation("/usr/bin/find", [root + "/cache", "-exec", "touch", "-d", "3 days ago", "{}", "+"]))
        guard aged.succeeded else { throw SandboxFailure("touch: \(aged.failureReason)") }
        return scanner
    }

    @Test(
        "the scan equals dnf's own security list for the installed packages: both canaries, their advisories, the bugfix-only one left out",
        .enabled(if: canRun, "needs rpm, rpmbuild, dnf and createrepo-c"), .timeLimit(.minutes(5)))
    func scanEqualsDnf() async throws {
        let directory = try TemporaryDirectory("vigil-rpm")
        defer { directory.remove() }
        let scanner = try await Self.sandbox(directory.path)
        // dnf will not start without a log directory it can write (as `/var/log` is under the agent's unit).
        let unwritable = await ProcessCommandRunner().run(
            ProgramInvocation(
                "/usr/bin/dnf", scanner.dnfOptions + ["--setopt=logdir=\(directory.path)/missing", "-C", "updateinfo", "list", "--security"],
                timeout: .seconds(300), environment: scanner.environment))
        #expect(!unwritable.succeeded)
        #expect(unwritable.errorText.contains("Failed to open log file"), "\(unwritable.errorText)")
        let scan = try await scanner.scan()

        // dnf itself, asked the same question: its (advisory, NEVRA) lines.
        let listed = await ProcessCommandRunner().run(
            ProgramInvocation(
                "/usr/bin/dnf",
                scanner.dnfOptions + ["--setopt=logdir=\(directory.path)/log", "-C", "-q", "updateinfo", "list", "--security", "--available"],
                timeout: .seconds(300),
                environment: scanner.environment))
        #expect(listed.succeeded, "\(listed.failureReason)")
        let dnfLines = String(decoding: listed.standardOutput, as: UTF8.self).split(separator: "\n").map { line in
            line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        }.filter { $0.count == 3 }.map { "\($0[0]) \($0[2])" }.sorted()
        let ours = scan.pending.flatMap { update in
            update.advisories.map { advisory in
                let version = update.candidate.description
                return "\(advisory) \(update.package)-\(version).\(update.architecture)"
            }
        }.sorted()
        #expect(
            dnfLines == [
                "VIGIL-2026:0001 vigil-canary-1.0-2.noarch", "VIGIL-2026:0002 vigil-canary-1.0-2.noarch",
                "VIGIL-2026:0002 vigil-other-2:3.1-5.el9.noarch",
            ])
        #expect(ours == dnfLines)

        #expect(scan.installedCount == 3)
        #expect(scan.pending.map(\.installed.description) == ["1.0-1", "2:3.1-4.el9"])
        #expect(scan.pending.map(\.severity) == ["Important", "Unknown"])
        #expect(scan.sources.map(\.source) == ["vigil-canary", "vigil-other"])
        #expect(scan.refused == [])
        let age = try #require(scan.metadataAgeSeconds, "dnf states when it last checked the metadata")
        #expect((3 * 86_400)..<(3 * 86_400 + 600) ~= age)
        #expect(PackagesScanOutcome(scan).staleness == "dnf metadata 3 days old")
        #expect(PackagesScanOutcome(scan).sources == scan.sources)
    }
}
