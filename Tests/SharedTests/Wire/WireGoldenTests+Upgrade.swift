import Foundation
import Testing

@testable import Shared

/// The wire additions of issue 14's action side: `upgrade_packages`, `restart_services`, the `started` outcome with
/// its plan, and the `upgrade_finished` and `restart_needed` alerts.
extension WireGoldenTests {
    static let upgradeCommand = ResponseCommand(
        id: commandID, alertId: alertID,
        action: .upgradePackages(pins: ["libssl3=3.0.17-1~deb12u2", "openssl=3.0.17-1~deb12u2"], planHash: "0123456789abcdef", simulate: false),
        requestedBy: Operator(telegramUserId: 11_111_111, name: "alice"), issuedAt: instant, expiresAt: instant.addingTimeInterval(300))

    static let restartCommand = ResponseCommand(
        id: commandID, alertId: alertID, action: .restartServices(units: ["nginx.service", "ssh.service"]),
        requestedBy: Operator(telegramUserId: 11_111_111, name: "alice"), issuedAt: instant, expiresAt: instant.addingTimeInterval(300))

    static let startedResult = ResponseResult(
        commandId: commandID, outcome: .started, detail: "upgrading: 2 packages upgraded, 0 new, 0 removed", finishedAt: instant,
        plan: UpgradePlan(upgrades: [
            PlannedUpgrade(package: "openssl", installed: "3.0.15-1~deb12u1", candidate: "3.0.17-1~deb12u2"),
            PlannedUpgrade(package: "libssl3", installed: "3.0.15-1~deb12u1", candidate: "3.0.17-1~deb12u2"),
        ]))

    static let upgradeFinishedAlert = Alert(
        id: alertID, agent: "web-1", hostname: "web-1", kind: .upgradeFinished, severity: .warning, observedAt: instant,
        subject: .upgradeFinished(
            UpgradeFinishedEvidence(
                commandId: commandID, alertId: alertID,
                outcome: .failed(reason: "apt-get exited with status 100; not installed: libssl3 (wanted 3.0.17-1~deb12u2)"),
                installed: ["libssl3 3.0.15-1~deb12u1"], outputTail: "E: Unable to acquire the dpkg frontend lock")),
        actions: [])

    static let restartNeededAlert = Alert(
        id: alertID, agent: "web-1", hostname: "web-1", kind: .restartNeeded, severity: .warning, observedAt: instant,
        subject: .restartNeeded(
            RestartNeededEvidence(units: ["nginx.service"], processes: ["python3[4242]"], rebootRequired: true, packages: ["libssl3"])),
        actions: [.restartServices, .reboot, .acknowledge])

    /// The fleet view's first tap (issue 17): no alert, the source packages and their fixed versions.
    static let planCommand = ResponseCommand(
        id: commandID, alertId: nil, action: .planUpgrade(sources: [UpgradeFloor(source: "openssl", fixed: "3.0.16-1~deb12u1")]),
        requestedBy: Operator(telegramUserId: 11_111_111, name: "alice"), issuedAt: instant, expiresAt: instant.addingTimeInterval(300))

    @Test("a plan_upgrade command") func planCommandGolden() throws { try check(Self.planCommand, golden: "command-plan-upgrade") }

    @Test("an upgrade command") func upgradeCommandGolden() throws { try check(Self.upgradeCommand, golden: "command-upgrade-packages") }
    @Test("a restart command") func restartCommandGolden() throws { try check(Self.restartCommand, golden: "command-restart-services") }
    @Test("a started result with its plan") func startedGolden() throws { try check(Self.startedResult, golden: "result-started") }
    @Test("an upgrade_finished alert") func upgradeFinishedGolden() throws { try check(Self.upgradeFinishedAlert, golden: "alert-upgrade-finished") }
    @Test("a restart_needed alert") func restartNeededGolden() throws { try check(Self.restartNeededAlert, golden: "alert-restart-needed") }

    @Test("the plan hash covers every upgrade line and not their order")
    func planHash() {
        let a = PlannedUpgrade(package: "a", installed: "1", candidate: "2")
        let b = PlannedUpgrade(package: "b", installed: "1", candidate: "2")
        #expect(UpgradePlan(upgrades: [a, b]).hash == UpgradePlan(upgrades: [b, a]).hash)
        #expect(UpgradePlan(upgrades: [a, b]).hash != UpgradePlan(upgrades: [a]).hash)
        var moved = b
        moved.installed = "1.5"
        #expect(UpgradePlan(upgrades: [a, b]).hash != UpgradePlan(upgrades: [a, moved]).hash)
        #expect(UpgradePlan(upgrades: [a]).hash.count == 16)
    }

    @Test("a simulation request omits nothing it needs: simulate decodes, an absent one means a real run")
    func simulateFlag() throws {
        let simulate = try WireCoding.decode(ResponseAction.self, from: Array(#"{"type":"upgrade_packages","pins":["a1=1"],"simulate":true}"#.utf8))
        #expect(simulate == .upgradePackages(pins: ["a1=1"], planHash: nil, simulate: true))
        let run = try WireCoding.decode(ResponseAction.self, from: Array(#"{"type":"upgrade_packages","pins":["a1=1"],"plan_hash":"ab"}"#.utf8))
        #expect(run == .upgradePackages(pins: ["a1=1"], planHash: "ab", simulate: false))
    }
}
