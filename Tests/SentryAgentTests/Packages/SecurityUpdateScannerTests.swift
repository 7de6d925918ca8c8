import Foundation
import Shared
import Synchronization
import Testing
import VigilTestSupport

@testable import SentryAgent

@Suite("Security updates from apt's own metadata", .serialized, .system)
struct SecurityUpdateScannerTests {
    @Test("security indexes are chosen as unattended-upgrades does: label Debian-Security or an archive named *-security")
    func indexSelection() {
        let output = """
            /l/main_Packages.lz4\tDebian\toldstable\tbookworm\tamd64
            /l/security_Packages.lz4\tDebian-Security\toldstable-security\tbookworm-security\tamd64
            /l/ubuntu_Packages.lz4\tUbuntu\tjammy-security\tjammy\tamd64
            /l/local_Packages\t$(LABEL)\tlocal\t$(CODENAME)\t$(ARCHITECTURE)
            """
        let indexes = SecurityIndex.parse(indextargets: output)
        #expect(indexes.count == 4)
        #expect(indexes.filter(\.isSecurity).map(\.path) == ["/l/security_Packages.lz4", "/l/ubuntu_Packages.lz4"])
        #expect(indexes[3].label == "" && indexes[3].codename == "")
    }

    @Test("pending: a newer candidate for the same name and architecture, or all; equal or older is not pending")
    func matching() throws {
        var candidates = SecurityCandidates()
        candidates.add(
            index: Array(
                """
                Package: a
                Architecture: amd64
                Version: 1.0-2

                Package: a
                Architecture: amd64
                Version: 1.0-3

                Package: b
                Architecture: all
                Version: 2.0-1

                Package: c
                Architecture: i386
                Version: 9.0

                Package: d
                Architecture: amd64
                Version: 1.0-1
                """.utf8))
        func installed(_ name: String, _ architecture: String, _ version: String) throws -> InstalledPackage {
            let parsed = try DebianVersion(version)
            return InstalledPackage(name: name, architecture: architecture, version: parsed, source: name, sourceVersion: parsed, held: false)
        }
        let pending = candidates.pending([
            try installed("a", "amd64", "1.0-1"), try installed("b", "amd64", "1.0-1"), try installed("c", "amd64", "1.0"),
            try installed("d", "amd64", "1.0-1"), try installed("e", "amd64", "1.0"),
        ])
        #expect(pending.map { "\($0.package) \($0.candidate)" } == ["a 1.0-3", "b 2.0-1"])
    }

    @Test("the JSON line has the documented keys, sorted, through JSONEncoder (quotes and control characters escaped)")
    func jsonLine() throws {
        let update = PendingUpdate(
            package: "libssl3", architecture: "amd64", installed: try DebianVersion("3.0.15-1~deb12u1"),
            candidate: try DebianVersion("3.0.17-1~deb12u2"), source: "openssl", sourceVersion: try DebianVersion("3.0.15-1~deb12u1"), held: false)
        #expect(
            try update.jsonLine
                == #"{"arch":"amd64","candidate":"3.0.17-1~deb12u2","held":false,"installed":"3.0.15-1~deb12u1","package":"libssl3","source":"openssl","source_version":"3.0.15-1~deb12u1"}"#
        )
        var odd = update
        odd.source = "a\"b\\c\n\u{1}"
        let decoded = try JSONSerialization.jsonObject(with: Data(try odd.jsonLine.utf8)) as? [String: Any]
        #expect(decoded?["source"] as? String == "a\"b\\c\n\u{1}")
    }

    @Test("an index older than 48 hours is reported with its age; none at all is reported too")
    func staleness() {
        let index = SecurityIndex(path: "/l/s", label: "Debian-Security", suite: "s-security", codename: "", architecture: "amd64")
        let now: Int64 = 1_800_000_000
        let fresh = SecurityScan(pending: [], indexes: [(index, now - 6 * 3600)], installedCount: 1, refused: [])
        #expect(fresh.staleness(now: now) == nil)
        let old = SecurityScan(pending: [], indexes: [(index, now - 3 * 86400 - 60)], installedCount: 1, refused: [])
        #expect(old.staleness(now: now) == "index 3 days old")
        let none = SecurityScan(pending: [], indexes: [], installedCount: 1, refused: [])
        #expect(none.staleness(now: now)?.hasPrefix("no security index") == true)
    }
}

/// Real apt, offline: private repositories and lists, the scanner beside `apt-get -s dist-upgrade`.
@Suite("Security scan against apt's simulation", .serialized, .system)
struct SecurityUpdateScannerSystemTests {
    typealias Package = AptSandbox.Package

    @Test(
        "the canary in the security archive is pending, and the scan equals the security Inst lines of apt-get -s dist-upgrade",
        .enabled(if: AptSandbox.canRun, "needs dpkg-deb, apt-get and apt-ftparchive (apt-utils; .ci/run installs it)"), .timeLimit(.minutes(5)))
    func canaryMatchesSimulation() async throws {
        let sandbox = try await AptSandbox.make(
            main: [
                Package(name: "vigil-canary", version: "1.0-1"),
                Package(name: "vigil-canary-doc", version: "1.0-1", architecture: "all", source: "vigil-canary"),
                Package(name: "vigil-bystander", version: "2.0-2"), Package(name: "vigil-current", version: "3.0-1"),
            ],
            security: [
                Package(name: "vigil-canary", version: "1.0-1+deb12u1"),
                Package(name: "vigil-canary-doc", version: "1.0-1+deb12u1", architecture: "all", source: "vigil-canary"),
                Package(name: "vigil-held", version: "1.0-2"), Package(name: "vigil-current", version: "3.0-1"),
                Package(name: "vigil-binnmu", version: "1.0-2", source: "vigil-binnmu-src"),
            ],
            installed: [
                (Package(name: "vigil-canary", version: "1.0-1"), "install ok installed"),
                (Package(name: "vigil-canary-doc", version: "1.0-1", architecture: "all", source: "vigil-canary"), "install ok installed"),
                (Package(name: "vigil-bystander", version: "2.0-1"), "install ok installed"),
                (Package(name: "vigil-held", version: "1.0-1"), "hold ok installed"),
                (Package(name: "vigil-current", version: "3.0-1"), "install ok installed"),
                (Package(name: "vigil-binnmu", version: "1.0-1+b1", source: "vigil-binnmu-src (1.0-1)"), "install ok installed"),
            ])
        defer { sandbox.remove() }

        let scan = try await sandbox.scanner.scan()
        #expect(scan.indexes.count == 1)
        #expect(scan.staleness(now: Int64(Date().timeIntervalSince1970)) == nil)
        #expect(
            try scan.pending.map { try $0.jsonLine } == [
                #"{"arch":"amd64","candidate":"1.0-2","held":false,"installed":"1.0-1+b1","package":"vigil-binnmu","source":"vigil-binnmu-src","source_version":"1.0-1"}"#,
                #"{"arch":"amd64","candidate":"1.0-1+deb12u1","held":false,"installed":"1.0-1","package":"vigil-canary","source":"vigil-canary","source_version":"1.0-1"}"#,
                #"{"arch":"all","candidate":"1.0-1+deb12u1","held":false,"installed":"1.0-1","package":"vigil-canary-doc","source":"vigil-canary","source_version":"1.0-1"}"#,
                #"{"arch":"amd64","candidate":"1.0-2","held":true,"installed":"1.0-1","package":"vigil-held","source":"vigil-held","source_version":"1.0-1"}"#,
            ])
        let simulation = try await sandbox.aptGet(["-s", "dist-upgrade"])
        #expect(simulation.contains("Inst vigil-bystander"), "the non-security update is in apt's plan, and not in the scan")
        #expect(SimulatedUpgrade.lines(scan.pending) == SimulatedUpgrade.securityInstalls(simulation))
        #expect(SimulatedUpgrade.securityInstalls(simulation).count == 3)
    }

    @Test(
        "a security list not refreshed for 3 days is reported as such",
        .enabled(if: AptSandbox.canRun, "needs dpkg-deb, apt-get and apt-ftparchive (apt-utils; .ci/run installs it)"), .timeLimit(.minutes(5)))
    func staleList() async throws {
        let sandbox = try await AptSandbox.make(
            main: [], security: [Package(name: "vigil-canary", version: "1.0-2")],
            installed: [(Package(name: "vigil-canary", version: "1.0-1"), "install ok installed")])
        defer { sandbox.remove() }
        let indexes = try await sandbox.scanner.securityIndexes()
        let path = try #require(indexes.first?.index.path)
        let threeDaysAgo = Date().addingTimeInterval(-3 * 86400 - 600)
        try FileManager.default.setAttributes([.modificationDate: threeDaysAgo], ofItemAtPath: path)
        let scan = try await sandbox.scanner.scan()
        #expect(scan.staleness(now: Int64(Date().timeIntervalSince1970)) == "index 3 days old")
        #expect(scan.pending.map(\.package) == ["vigil-canary"])
    }

    @Test(
        "on this machine, the scan equals the security Inst lines of apt-get -s dist-upgrade",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/apt-get"), "needs apt"), .timeLimit(.minutes(5)))
    func machineMatchesSimulation() async throws {
        let scan = try await SecurityUpdateScanner(runner: ProcessCommandRunner()).scan()
        let output = await ProcessCommandRunner().run(ProgramInvocation("/usr/bin/apt-get", ["-s", "dist-upgrade"], timeout: .seconds(120)))
        #expect(output.succeeded)
        let simulation = String(decoding: output.standardOutput, as: UTF8.self)
        print("pending security updates on this machine: \(SimulatedUpgrade.lines(scan.pending).count)")
        #expect(SimulatedUpgrade.lines(scan.pending) == SimulatedUpgrade.securityInstalls(simulation))
    }

    @Test(
        "with a cache, a rescan reuses the indexes until apt's lists change; a new advisory is then read",
        .enabled(if: AptSandbox.canRun, "needs dpkg-deb, apt-get and apt-ftparchive (apt-utils; .ci/run installs it)"), .timeLimit(.minutes(5)))
    func cachedIndexes() async throws {
        let sandbox = try await AptSandbox.make(
            main: [], security: [Package(name: "vigil-canary", version: "1.0-2")],
            installed: [
                (Package(name: "vigil-canary", version: "1.0-1"), "install ok installed"),
                (Package(name: "vigil-other", version: "1.0-1"), "install ok installed"),
            ])
        defer { sandbox.remove() }
        let runs = CountingRunner()
        var scanner = sandbox.scanner
        scanner.runner = runs
        scanner.cache = AptIndexCache()
        #expect(try await scanner.scan().pending.map(\.package) == ["vigil-canary"])
        let afterFirst = runs.count
        #expect(afterFirst >= 2, "indextargets and cat-file ran")
        #expect(try await scanner.scan().pending.map(\.package) == ["vigil-canary"])
        #expect(runs.count == afterFirst, "nothing ran for an unchanged configuration")
        try await sandbox.publishSecurity([Package(name: "vigil-canary", version: "1.0-2"), Package(name: "vigil-other", version: "1.0-2")])
        #expect(try await scanner.scan().pending.map(\.package) == ["vigil-canary", "vigil-other"])
        #expect(runs.count > afterFirst)
    }
}

/// Runs programs for real and counts them.
final class CountingRunner: CommandRunner {
    private let runs = Mutex(0)
    var count: Int { runs.withLock { $0 } }

    func run(_ invocation: ProgramInvocation) async -> ProgramOutput {
        runs.withLock { $0 += 1 }
        return await ProcessCommandRunner().run(invocation)
    }
}
