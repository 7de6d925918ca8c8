import Foundation
import Shared
import Testing

@testable import BotHub

/// How the store keeps each host's latest state of a confirmed fleet upgrade (`HubStore+FleetUpgradeRuns`).
@Suite("Fleet upgrade runs in the store")
struct FleetUpgradeRunStoreTests {
    static func run(chosenAt: Date, agents: [String] = ["web-1", "web-2"]) -> FleetUpgradeRun {
        let requester = Operator(telegramUserId: 1, name: "@alice")
        return FleetUpgradeRun(
            id: UUID().uuidString, chatID: -100, messageID: 7, label: "CVE-2024-0001 openssl", chosenBy: "@alice", chosenAt: chosenAt, revision: 0,
            hosts: agents.map {
                FleetUpgradeRun.Host(
                    agent: $0,
                    command: ResponseCommand(
                        alertId: nil, action: .upgradePackages(pins: ["openssl=3.0.16-1"], planHash: "0123456789abcdef", simulate: false),
                        requestedBy: requester, issuedAt: chosenAt, expiresAt: chosenAt.addingTimeInterval(120)),
                    state: .sent)
            })
    }

    @Test("an end is kept when the immediate answer is recorded after it, and each end leaves the other hosts' lines alone")
    func endsAreNotOverwritten() throws {
        let store = try HubStore.inMemory()
        let now = Date()
        let run = Self.run(chosenAt: now)
        try store.recordFleetUpgradeRun(run, now: now)
        let (web1, web2) = (run.hosts[0].command.id, run.hosts[1].command.id)

        let first = try #require(try store.recordFleetUpgradeEnd(commandID: web1, agent: "web-1", chatID: -100, endLine: "✅ done"))
        try store.recordFleetUpgradeAnswer(commandID: web1, answer: "started")
        try store.recordFleetUpgradeAnswer(commandID: web2, answer: "started")
        let second = try #require(try store.recordFleetUpgradeEnd(commandID: web2, agent: "web-2", chatID: -100, endLine: "❌ failed"))

        #expect(first.hosts.map(\.state) == [.ended, .sent])
        #expect(second.hosts.map(\.state) == [.ended, .ended])
        #expect(second.hosts.map(\.endLine) == ["✅ done", "❌ failed"])
        #expect(second.revision > first.revision)
        #expect(second.hosts.map(\.command.id) == [web1, web2])
    }

    @Test("an end from another agent, or for another chat, matches no run")
    func endMustMatchAgentAndChat() throws {
        let store = try HubStore.inMemory()
        let run = Self.run(chosenAt: Date())
        try store.recordFleetUpgradeRun(run, now: Date())
        let web1 = run.hosts[0].command.id
        #expect(try store.recordFleetUpgradeEnd(commandID: web1, agent: "web-2", chatID: -100, endLine: "✅ forged") == nil)
        #expect(try store.recordFleetUpgradeEnd(commandID: web1, agent: "web-1", chatID: -200, endLine: "✅ elsewhere") == nil)
        #expect(try store.fleetUpgradeRun(id: run.id)?.hosts.map(\.state) == [.sent, .sent])
    }

    @Test("only runs chosen before the recovery with a host left unanswered are interrupted")
    func interruptedRuns() throws {
        let store = try HubStore.inMemory()
        let now = Date()
        let answered = Self.run(chosenAt: now.addingTimeInterval(-60), agents: ["web-1"])
        let interrupted = Self.run(chosenAt: now.addingTimeInterval(-30))
        let current = Self.run(chosenAt: now)
        for run in [answered, interrupted, current] { try store.recordFleetUpgradeRun(run, now: now) }
        try store.recordFleetUpgradeAnswer(commandID: answered.hosts[0].command.id, answer: "started")
        try store.recordFleetUpgradeAnswer(commandID: interrupted.hosts[0].command.id, answer: "started")

        #expect(try store.interruptedFleetUpgradeRuns(chosenBefore: now).map(\.id) == [interrupted.id])
    }

    @Test("a tap's commands, all made before the first is sent, live one configured lifetime per round of dispatchWidth hosts")
    func lifetimePerRound() {
        let width = FleetUpgradeChoices.dispatchWidth
        #expect(FleetUpgradeChoices.lifetime(hosts: 1, commandLifetime: 120) == 120)
        #expect(FleetUpgradeChoices.lifetime(hosts: width, commandLifetime: 120) == 120)
        #expect(FleetUpgradeChoices.lifetime(hosts: width + 1, commandLifetime: 120) == 240)
        #expect(FleetUpgradeChoices.lifetime(hosts: 100, commandLifetime: 120) == 120 * Double((100 + width - 1) / width))
    }
}
