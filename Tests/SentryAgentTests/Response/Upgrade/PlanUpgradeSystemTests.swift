import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// `plan_upgrade` (the hub's fleet view) against real apt, in the canary sandbox: the agent finds the source's
/// binaries and apt's candidate, and the plan's exact pins and hash drive the ordinary `upgrade_packages`.
extension PackageUpgraderSystemTests {
    @Test(
        "plan_upgrade of the canary's source: the plan's pins and hash upgrade it for real through upgrade_packages",
        .enabled(if: AptSandbox.canRun, "needs dpkg-deb, apt-get and apt-ftparchive"), .timeLimit(.minutes(5)))
    func planThenUpgrade() async throws {
        let (sandbox, agent, _) = try await Self.scenario()
        defer { sandbox.remove() }
        let planned = await agent.executor.execute(.make(.planUpgrade(sources: [UpgradeFloor(source: "vigil-canary", fixed: "1.0-1+deb12u1")])))
        #expect(planned.outcome == .done, "\(planned)")
        let plan = try #require(planned.plan)
        #expect(plan.upgrades == [PlannedUpgrade(package: "vigil-canary", installed: "1.0-1", candidate: "1.0-1+deb12u1")])
        #expect(try Self.installedVersion(sandbox, "vigil-canary") == "1.0-1", "planning installs nothing")

        let pins = plan.upgrades.map { "\($0.package)=\($0.candidate)" }
        let started = await agent.executor.execute(.make(.upgradePackages(pins: pins, planHash: plan.hash, simulate: false)))
        #expect(started.outcome == .started, "\(started)")
        #expect(try await Self.finished(agent).outcome == .done)
        #expect(try Self.installedVersion(sandbox, "vigil-canary") == "1.0-1+deb12u1")

        let again = await agent.executor.execute(.make(.planUpgrade(sources: [UpgradeFloor(source: "vigil-canary", fixed: "1.0-1+deb12u1")])))
        #expect(again.outcome == .alreadyDone, "\(again)")
    }

    @Test(
        "plan_upgrade refuses a candidate older than the fixed version, a source not installed and a malformed floor",
        .enabled(if: AptSandbox.canRun, "needs dpkg-deb, apt-get and apt-ftparchive"), .timeLimit(.minutes(5)))
    func planRefusals() async throws {
        let (sandbox, agent, _) = try await Self.scenario()
        defer { sandbox.remove() }
        let tooOld = await agent.executor.execute(.make(.planUpgrade(sources: [UpgradeFloor(source: "vigil-canary", fixed: "1.0-2")])))
        #expect(
            tooOld.outcome
                == .refused(reason: "the candidate 1.0-1+deb12u1 of vigil-canary is older than the fixed version 1.0-2 of vigil-canary"),
            "\(tooOld)")
        let absent = await agent.executor.execute(.make(.planUpgrade(sources: [UpgradeFloor(source: "vigil-absent", fixed: "1.0-2")])))
        #expect(absent.outcome == .refused(reason: "none of vigil-absent is installed"), "\(absent)")
        let hostile = await agent.executor.execute(.make(.planUpgrade(sources: [UpgradeFloor(source: "-oAPT::x", fixed: "1")])))
        guard case .refused = hostile.outcome else {
            Issue.record("a floor that is no package name was not refused: \(hostile)")
            return
        }
        #expect(try Self.installedVersion(sandbox, "vigil-canary") == "1.0-1")
    }
}
