import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

/// The buttons of a `security_updates` message: a simulated plan confirmed by a second tap, the upgrade's end folded
/// into the same message, the full list as a document, and a snooze.
@Suite("Upgrade choices", .serialized, .awaitsTeardown)
struct UpgradeChoiceTests {
    typealias Fixture = ChoiceHandlerTests.Fixture

    static let canary = PendingSource(
        source: "vigil-canary", installed: "1.0-1", candidate: "1.0-1+deb12u1", packages: ["vigil-canary", "vigil-canary-doc"], held: false,
        needsReboot: false, pins: ["vigil-canary=1.0-1+deb12u1", "vigil-canary-doc=1.0-1+deb12u1"])
    static let held = PendingSource(
        source: "vigil-held", installed: "1.0-1", candidate: "1.0-2", packages: ["vigil-held"], held: true, needsReboot: false,
        pins: ["vigil-held=1.0-2"])
    static let openssl = PendingSource(
        source: "openssl", installed: "3.0.15-1", candidate: "3.0.17-1", packages: ["libssl3", "openssl"], held: false, needsReboot: false,
        pins: ["libssl3=3.0.17-1", "openssl=3.0.17-1"])

    static let plan = UpgradePlan(upgrades: [
        PlannedUpgrade(package: "vigil-canary", installed: "1.0-1", candidate: "1.0-1+deb12u1"),
        PlannedUpgrade(package: "vigil-canary-doc", installed: "1.0-1", candidate: "1.0-1+deb12u1"),
    ])

    static func make() async throws -> Fixture {
        try await Fixture.make(
            actions: [.acknowledge, .upgradePackages], kind: .securityUpdates,
            subject: .securityUpdates(
                SecurityUpdatesEvidence(sources: [canary, held, openssl], pendingSources: 3, pendingPackages: 5, indexAgeSeconds: 3600)))
    }

    @Test("the message offers Upgrade <source> for listed unheld sources, Upgrade all, Show all and Snooze")
    func buttons() async throws {
        let hub = try await Self.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        let keyboard = try #require(await hub.telegram.message(hub.messageID)?.keyboard).flatMap { $0 }
        #expect(keyboard.map(\.text) == ["Acknowledge", "Upgrade vigil-canary", "Upgrade openssl", "Upgrade all 2", "Show all", "Snooze 7 d"])
        #expect(
            keyboard.map(\.callbackData) == [
                hub.data("acknowledge"), hub.data("upgrade_0"), hub.data("upgrade_2"), hub.data("upgrade_all"), hub.data("show_all"),
                hub.data("snooze_7d"),
            ])
        #expect(keyboard.allSatisfy { $0.callbackData.utf8.count <= 64 })
    }

    @Test("an operator may not upgrade: refused, nothing sent")
    func operatorRefused() async throws {
        let hub = try await Self.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.press(hub.data("upgrade_0"), by: ChoiceHandlerTests.bob)
        #expect(await hub.agent.commands.isEmpty)
        #expect(await hub.telegram.answers.last?.showAlert == true)
    }

    @Test("first tap simulates and shows the plan; the second sends the pins with its hash; the end is folded into the same message")
    func simulateConfirmAndFold() async throws {
        let hub = try await Self.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.agent.answer(.done, detail: "2 packages upgraded, 0 new, 0 removed", plan: Self.plan)
        await hub.press(hub.data("upgrade_0"), by: ChoiceHandlerTests.alice)
        let simulation = try #require(await hub.agent.commands.first)
        #expect(simulation.action == .upgradePackages(pins: Self.canary.pins ?? [], planHash: nil, simulate: true))
        let shown = await hub.shownHTML
        #expect(shown.contains("Simulated plan: 2 packages upgraded, 0 new, 0 removed"), "\(shown)")
        #expect(shown.contains("<code>vigil-canary</code> 1.0-1 → 1.0-1+deb12u1"))
        let confirm = try #require(await hub.telegram.message(hub.messageID)?.keyboard.flatMap { $0 }.first)
        #expect(confirm.callbackData == hub.data("uc0.\(Self.plan.hash)"))

        // A confirmation for another plan (a crafted button) is refused.
        await hub.press(hub.data("uc0.0123456789abcdef"), by: ChoiceHandlerTests.alice)
        #expect(await hub.agent.commands.count == 1)

        await hub.agent.answer(.done, detail: "2 packages upgraded, 0 new, 0 removed", plan: Self.plan)
        await hub.press(hub.data("upgrade_0"), by: ChoiceHandlerTests.alice)
        await hub.agent.answer(.started, detail: "upgrading: 2 packages upgraded, 0 new, 0 removed", plan: Self.plan)
        await hub.press(hub.data("uc0.\(Self.plan.hash)"), by: ChoiceHandlerTests.alice)
        let upgrade = try #require(await hub.agent.commands.last)
        #expect(upgrade.action == .upgradePackages(pins: Self.canary.pins ?? [], planHash: Self.plan.hash, simulate: false))
        #expect(await hub.shownHTML.contains("⏳ Upgrade: upgrading… Chosen by @alice"))

        // The agent's follow-up: shown in the same message, not as a new one.
        let sentBefore = await hub.telegram.messages.count
        let end = Alert(
            agent: "web-1", hostname: "web-1", kind: .upgradeFinished, severity: .info, observedAt: hub.clock.now,
            subject: .upgradeFinished(
                UpgradeFinishedEvidence(
                    commandId: upgrade.id, alertId: hub.alert.id, outcome: .done,
                    installed: ["vigil-canary 1.0-1+deb12u1", "vigil-canary-doc 1.0-1+deb12u1"])), actions: [])
        try await Self.deliver(end, to: hub)
        #expect(await hub.telegram.messages.count == sentBefore)
        let final = await hub.shownHTML
        #expect(final.contains("✅ Upgrade done; now installed: vigil-canary 1.0-1+deb12u1, vigil-canary-doc 1.0-1+deb12u1"), "\(final)")
        #expect(await hub.telegram.message(hub.messageID)?.keyboard.isEmpty == true)
    }

    @Test("a failed end shows apt's output escaped and bounded, and offers the buttons again")
    func failedEnd() async throws {
        let hub = try await Self.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        let tail = String(repeating: "x", count: 5000) + "\nE: lock <b>held</b>"
        let end = Alert(
            agent: "web-1", hostname: "web-1", kind: .upgradeFinished, severity: .warning, observedAt: hub.clock.now,
            subject: .upgradeFinished(
                UpgradeFinishedEvidence(
                    commandId: UUID(), alertId: hub.alert.id, outcome: .failed(reason: "apt-get exited with status 100"), installed: [],
                    outputTail: tail)), actions: [])
        try await Self.deliver(end, to: hub)
        let html = await hub.shownHTML
        #expect(html.contains("❌ Upgrade failed (apt-get exited with status 100)"))
        #expect(html.contains("E: lock &lt;b&gt;held&lt;/b&gt;"), "the output is escaped")
        #expect(html.count < 4096)
        #expect(await hub.telegram.message(hub.messageID)?.keyboard.isEmpty == false)
    }

    @Test("Show all sends the list as a CSV document; Snooze mutes this agent's security updates in the chat for 7 days")
    func showAllAndSnooze() async throws {
        let hub = try await Self.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.press(hub.data("show_all"), by: ChoiceHandlerTests.bob)
        let document = try #require(await hub.telegram.documents.first)
        #expect(document.fileName == "security-updates-web-1.csv")
        #expect(
            String(decoding: document.bytes, as: UTF8.self)
                == "source,installed,candidate,packages,held,needs_reboot\r\nvigil-canary,1.0-1,1.0-1+deb12u1,vigil-canary vigil-canary-doc,false,false\r\n"
                + "vigil-held,1.0-1,1.0-2,vigil-held,true,false\r\nopenssl,3.0.15-1,3.0.17-1,libssl3 openssl,false,false\r\n")
        await hub.press(hub.data("snooze_7d"), by: ChoiceHandlerTests.bob)
        let mutes = try hub.store.activeMutes(now: hub.clock.now)
        #expect(mutes.map(\.target) == ["security_updates@web-1"])
        #expect(abs((mutes.first?.until.timeIntervalSince(hub.clock.now) ?? 0) - 7 * 86_400) < 1)
        #expect(await hub.agent.commands.isEmpty)
    }

    @Test("CSV fields with commas, quotes or a leading formula sign are quoted or defused")
    func csvQuoting() {
        let odd = PendingSource(source: "=cmd", installed: "1,0", candidate: "2\"x", packages: ["a"], held: false, needsReboot: false)
        let csv = ChoiceHandler.csv(SecurityUpdatesEvidence(sources: [odd], pendingSources: 1, pendingPackages: 1, indexAgeSeconds: nil))
        #expect(csv.hasSuffix("'=cmd,\"1,0\",\"2\"\"x\",a,false,false\r\n"))
    }

    @Test("restart_needed offers Restart those services; an admin's confirmed tap sends exactly the alert's units")
    func restartServices() async throws {
        let hub = try await Fixture.make(
            actions: [.restartServices, .acknowledge], kind: .restartNeeded,
            subject: .restartNeeded(RestartNeededEvidence(units: ["nginx.service"], processes: [], rebootRequired: false, packages: ["libssl3"])))
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        #expect(await hub.shownHTML.contains("Still running replaced files of libssl3: nginx.service"))
        await hub.press(hub.data("restart_services"), by: ChoiceHandlerTests.bob)
        #expect(await hub.agent.commands.isEmpty, "an operator may not restart services")
        await hub.press(hub.data("restart_services"), by: ChoiceHandlerTests.alice)
        #expect(await hub.agent.commands.isEmpty, "the first tap only asks")
        #expect(await hub.shownHTML.contains("Restart those services on <b>web-1</b>?"))
        await hub.press(hub.data("confirm_restart_services"), by: ChoiceHandlerTests.alice)
        #expect(await hub.agent.commands.map(\.action) == [.restartServices(units: ["nginx.service"])])
    }

    /// Stores `alert` as intake would and lets the notifier show it.
    static func deliver(_ alert: Alert, to hub: Fixture) async throws {
        _ = try hub.store.recordAlert(alert, chats: [ChoiceHandlerTests.chatID], now: hub.clock.now)
        let catalogs = try MessageCatalogs.load(directory: repositoryPath("translations"))
        let roster = ChatRoster(
            chats: [TelegramConfiguration.Chat(id: ChoiceHandlerTests.chatID, language: nil, operators: [])], store: hub.store, defaultLanguage: "en")
        let notifier = AlertNotifier(store: hub.store, catalogs: catalogs, telegram: hub.telegram, roster: roster, logger: Logger(label: "test"))
        _ = await notifier.sendPending()
    }
}
