import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// What `upgrade_packages` refuses before running anything, and how apt's simulation is read.
@Suite("Package upgrades: input and plan checks")
struct PackageUpgraderTests {
    static let status = """
        Package: vigil-canary
        Status: install ok installed
        Version: 1.0-1
        Architecture: amd64

        """

    func upgrader(_ directory: TemporaryDirectory, runner: any CommandRunner) throws -> PackageUpgrader {
        try Self.status.write(toFile: directory.file("status"), atomically: true, encoding: .utf8)
        var settings = UpgradeSettings(directory: directory.file("upgrades"))
        settings.aptOptions = ["Dir::State::status=\(directory.file("status"))"]
        settings.launch = .process
        return PackageUpgrader(settings: settings, runner: runner, logger: Logger(label: "test"))
    }

    @Test(
        "malformed pins are refused and nothing runs",
        arguments: [
            ["vigil-canary=1.0;rm -rf /"], ["vigil-canary=$(reboot)"], ["vigil-canary"], ["vigil-canary="], ["=1.0"], ["-oAPT::Get::x=1"],
            ["Vigil-Canary=1.0"], ["v=1.0"], ["vigil-canary=1.0 other"], ["vigil-canary:../x=1.0"], ["vigil-canary=1.0\nRemv"], [],
            ["vigil-canary=1.1", "vigil-canary=1.2"],
        ])
    func malformedPins(_ pins: [String]) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let runner = RecordingCommandRunner()
        let report = try await upgrader(directory, runner: runner).upgrade(
            .make(.upgradePackages(pins: pins, planHash: "x", simulate: false)), pins: pins, planHash: "x", simulate: false)
        guard case .refused = report.outcome else {
            Issue.record("\(pins) was not refused: \(report)")
            return
        }
        #expect(runner.invocations.isEmpty)
    }

    @Test("a pin for a package that is not installed is refused before apt runs")
    func unknownPackage() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let runner = RecordingCommandRunner()
        let pins = ["vigil-unknown=1.0-2"]
        let report = try await upgrader(directory, runner: runner).upgrade(
            .make(.upgradePackages(pins: pins, planHash: nil, simulate: true)), pins: pins, planHash: nil, simulate: true)
        #expect(report.outcome == .refused(reason: "vigil-unknown is not installed"))
        #expect(runner.invocations.isEmpty)
    }

    @Test("a pin at the installed version is already done; one below it means the plan changed")
    func installedAtOrPastPin() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let runner = RecordingCommandRunner()
        let upgrader = try upgrader(directory, runner: runner)
        let same = await upgrader.upgrade(
            .make(.upgradePackages(pins: [], planHash: nil, simulate: true)), pins: ["vigil-canary=1.0-1"], planHash: nil, simulate: true)
        #expect(same.outcome == .alreadyDone)
        let older = await upgrader.upgrade(
            .make(.upgradePackages(pins: [], planHash: nil, simulate: true)), pins: ["vigil-canary=0.9-1"], planHash: nil, simulate: true)
        #expect(older.outcome == .refused(reason: "plan changed, rescan: vigil-canary is already at 1.0-1, newer than the pin 0.9-1"))
        #expect(runner.invocations.isEmpty)
    }

    @Test("apt's simulation is read into upgrades, new packages and removals; anything beyond the pins is named")
    func simulationParsing() throws {
        let output = """
            NOTE: This is only a simulation!
            Inst libssl3 [3.0.15-1~deb12u1] (3.0.17-1~deb12u2 Debian-Security:12/stable-security [amd64])
            Inst openssl [3.0.15-1~deb12u1] (3.0.17-1~deb12u2 Debian-Security:12/stable-security [amd64]) []
            Inst libnew1 (1.0-1 Debian:12/stable [amd64])
            Remv oldthing [2.0-1]
            Conf libssl3 (3.0.17-1~deb12u2 Debian-Security:12/stable-security [amd64])
            """
        let plan = AptSimulation.plan(output)
        #expect(plan.upgrades.map(\.package) == ["libssl3", "openssl"])
        #expect(plan.upgrades[0].installed == "3.0.15-1~deb12u1" && plan.upgrades[0].candidate == "3.0.17-1~deb12u2")
        #expect(plan.newPackages == ["libnew1"])
        #expect(plan.removals == ["oldthing"])
        let pins = try PackagePin.parse(["libssl3=3.0.17-1~deb12u2", "openssl=3.0.17-1~deb12u2"])
        #expect(AptSimulation.deviation(of: plan, from: pins) == "apt would remove oldthing")
        let clean = AptSimulation.plan(
            output.split(separator: "\n").filter { !$0.hasPrefix("Remv") && !$0.contains("libnew1") }.joined(separator: "\n"))
        #expect(AptSimulation.deviation(of: clean, from: pins) == nil)
        #expect(AptSimulation.deviation(of: clean, from: [pins[0]]) == "apt would also upgrade openssl (not pinned)")
    }

    @Test(
        "only plain unit names reach systemctl",
        arguments: [
            ("nginx.service", true), ("getty@tty1.service", true), ("-x.service", false),
            ("nginx", false), ("../x.service", false), ("a b.service", false), ("getty@.service", false), ("*.service", false),
            ("--now.service", false),
        ])
    func unitNames(_ name: String, _ plain: Bool) {
        #expect(ServiceRestarter.isPlainUnitName(name) == plain)
    }

    @Test("restart_services with a bad unit name runs nothing")
    func restartRefused() async {
        let runner = RecordingCommandRunner()
        let report = await ServiceRestarter(runner: runner).restart(["nginx.service", "x; reboot"])
        guard case .refused = report.outcome else {
            Issue.record("not refused: \(report)")
            return
        }
        #expect(runner.invocations.isEmpty)
        let ran = await ServiceRestarter(runner: runner).restart(["nginx.service"])
        #expect(ran.outcome == .done)
        #expect(runner.invocations.map(\.argv) == [["/usr/bin/systemctl", "restart", "--", "nginx.service"]])
    }

    @Test("a (deleted) mapping counts only for a file the packages own")
    func deletedMappings() {
        let maps = Array(
            """
            7f00-7f01 r-xp 00000000 08:01 123 /usr/lib/x86_64-linux-gnu/libssl.so.3 (deleted)
            7f02-7f03 r-xp 00000000 08:01 124 /usr/lib/other.so (deleted)
            """.utf8)
        #expect(RestartCheck.mapsDeleted(maps, of: ["/usr/lib/x86_64-linux-gnu/libssl.so.3"]))
        #expect(!RestartCheck.mapsDeleted(maps, of: ["/usr/lib/x86_64-linux-gnu/libcrypto.so.3"]))
    }
}
