import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

@Suite("security_updates: one alert per newly pending source package", .serialized, .system)
struct SecurityUpdatesDetectorTests {
    static func update(_ package: String, source: String, _ installed: String, _ candidate: String, held: Bool = false) throws -> PendingUpdate {
        PendingUpdate(
            package: package, architecture: "amd64", installed: try DebianVersion(installed), candidate: try DebianVersion(candidate), source: source,
            sourceVersion: try DebianVersion(installed), held: held)
    }

    static func scan(_ pending: [PendingUpdate]) -> SecurityScan {
        let index = SecurityIndex(path: "/l/s", label: "Debian-Security", suite: "bookworm-security", codename: "", architecture: "amd64")
        return SecurityScan(pending: pending, indexes: [(index, 1_000)], installedCount: 100, refused: [])
    }

    @Test("binaries are grouped by source package; the kernel comes first and needs a reboot")
    func grouping() throws {
        let sources = SecurityUpdatesDetector.group([
            try Self.update("libssl3", source: "openssl", "3.0.15-1", "3.0.17-1"),
            try Self.update("openssl", source: "openssl", "3.0.15-1", "3.0.17-1"),
            try Self.update("linux-image-6.1.0-30-amd64", source: "linux-signed-amd64", "6.1.123-1", "6.1.140-1"),
        ])
        #expect(sources.map(\.source) == ["linux-signed-amd64", "openssl"])
        #expect(sources[0].needsReboot && !sources[1].needsReboot)
        #expect(sources[1].packages == ["libssl3", "openssl"])
        #expect(sources[1].installed == "3.0.15-1" && sources[1].candidate == "3.0.17-1")
    }

    @Test("a second scan with the same pending updates is silent; a new advisory alerts with only itself, totals counting all")
    func onlyNewAdvisories() throws {
        var detector = SecurityUpdatesDetector()
        let openssl = try Self.update("libssl3", source: "openssl", "3.0.15-1", "3.0.17-1")
        let firstDetection = detector.process(Self.scan([openssl]), now: 2_000)
        let first = try #require(firstDetection)
        guard case .securityUpdates(let evidence) = first.subject else { Issue.record("wrong subject"); return }
        #expect(first.kind == .securityUpdates)
        #expect(evidence.sources.map(\.source) == ["openssl"] && evidence.indexAgeSeconds == 1_000)
        let repeated = detector.process(Self.scan([openssl]), now: 3_000)
        #expect(repeated == nil)
        let curl = try Self.update("libcurl4", source: "curl", "7.88.1-10", "7.88.1-10+deb12u1")
        let secondDetection = detector.process(Self.scan([openssl, curl]), now: 4_000)
        let second = try #require(secondDetection)
        guard case .securityUpdates(let next) = second.subject else { Issue.record("wrong subject"); return }
        #expect(next.sources.map(\.source) == ["curl"])
        #expect(next.pendingSources == 2 && next.pendingPackages == 2)
    }

    @Test("an installed update is forgotten: the next advisory for that source alerts again; state survives a restart")
    func forgetsInstalled() throws {
        var detector = SecurityUpdatesDetector()
        _ = detector.process(Self.scan([try Self.update("libssl3", source: "openssl", "3.0.15-1", "3.0.17-1")]), now: 2_000)
        let afterUpgrade = detector.process(Self.scan([]), now: 3_000)
        #expect(afterUpgrade == nil)
        #expect(detector.alerted.isEmpty)
        var restarted = SecurityUpdatesDetector(alerted: ["openssl 3.0.18-1"])
        let known = restarted.process(Self.scan([try Self.update("libssl3", source: "openssl", "3.0.17-1", "3.0.18-1")]), now: 4_000)
        #expect(known == nil)
        let newer = restarted.process(Self.scan([try Self.update("libssl3", source: "openssl", "3.0.17-1", "3.0.19-1")]), now: 5_000)
        #expect(newer != nil)
    }

    @Test(
        "the running detector alerts at start from apt's lists, stays silent on an unchanged rescan, and alerts a new advisory after apt-get update",
        .enabled(if: AptSandbox.canRun, "needs dpkg-deb, apt-get and apt-ftparchive (apt-utils; .ci/run installs it)"), .timeLimit(.minutes(5)))
    func serviceAlertsNewAdvisories() async throws {
        typealias Package = AptSandbox.Package
        let canary = Package(name: "vigil-canary", version: "1.0-1+deb12u1")
        let sandbox = try await AptSandbox.make(
            main: [Package(name: "vigil-canary", version: "1.0-1")], security: [canary],
            installed: [
                (Package(name: "vigil-canary", version: "1.0-1"), "install ok installed"),
                (Package(name: "vigil-second", version: "2.0-1"), "install ok installed"),
            ])
        defer { sandbox.remove() }
        let state = try TemporaryDirectory()
        defer { state.remove() }
        var configuration = DetectorsConfiguration()
        configuration.ssh.enabled = false
        configuration.cpu.enabled = false
        configuration.http404.enabled = false
        configuration.packages.enabled = true
        configuration.packages.statusPath = sandbox.statusPath
        configuration.packages.listsDirectory = sandbox.listsDirectory
        configuration.packages.aptOptions = sandbox.aptOptions
        let sink = RecordingSink()
        let task = DetectionSystemTests.startService(configuration, state: state.path, sink: sink)
        defer { task.cancel() }

        let first = try #require(await DetectionSystemTests.waitForAlert(sink, timeout: .seconds(60)) { $0.kind == .securityUpdates })
        guard case .securityUpdates(let evidence) = first.subject else { Issue.record("wrong subject"); return }
        #expect(evidence.sources.map(\.source) == ["vigil-canary"])
        #expect(evidence.sources.first?.candidate == "1.0-1+deb12u1")
        #expect(first.actions == [.acknowledge])

        // The same advisory plus a new one: after apt-get update the watcher rescans and only the new one is alerted.
        try await sandbox.publishSecurity([canary, Package(name: "vigil-second", version: "2.0-1+deb12u1")])
        let second = try #require(
            await DetectionSystemTests.waitForAlert(sink, timeout: .seconds(60)) { $0.kind == .securityUpdates && $0.id != first.id })
        guard case .securityUpdates(let next) = second.subject else { Issue.record("wrong subject"); return }
        #expect(next.sources.map(\.source) == ["vigil-second"])
        #expect(next.pendingSources == 2)
        #expect(sink.alerts.filter { $0.kind == .securityUpdates }.count == 2)
        let saved = try String(contentsOfFile: state.path + "/security-updates-alerted.txt", encoding: .utf8)
        #expect(saved == "vigil-canary 1.0-1+deb12u1\nvigil-second 2.0-1+deb12u1\n")
    }
}
