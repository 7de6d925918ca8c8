import Foundation
import Shared
import Testing

@testable import BotHub

/// The rules of a press as values: no store, no socket, no Telegram.
@Suite("Choice policy")
struct ChoicePolicyTests {
    static let received = Date(timeIntervalSince1970: 1_800_000_000)
    static let policy = ChoicePolicy(settings: ChoiceSettings())

    static func alert(actions: [AlertAction] = [.acknowledge, .killSession, .blockIP1h, .reboot]) -> Alert {
        Alert(
            agent: "web-1", hostname: "web-1", kind: .sshSession, severity: .warning, observedAt: received,
            subject: .sshSession(SSHSessionEvidence(user: "root", ip: "203.0.113.9", port: 1, method: "password", pid: 4242, pidStartTime: 777)),
            actions: actions)
    }

    static func stored(status: AlertStatus = .open, handledBy: String? = nil) -> StoredAlert {
        StoredAlert(
            id: UUID().uuidString, shortId: "abcdefabcdef", agent: "web-1", kind: .sshSession, severity: .warning, observedAt: received,
            receivedAt: received, payload: "{}", status: status, handledBy: handledBy)
    }

    static func decide(
        _ choice: CallbackData.Choice, role: TelegramConfiguration.Role? = .operator, status: AlertStatus = .open, after seconds: TimeInterval = 10
    ) -> ChoicePolicy.Decision {
        policy.decide(choice, on: stored(status: status, handledBy: "@alice"), alert: alert(), role: role, now: received.addingTimeInterval(seconds))
    }

    @Test("someone with no role in the chat is refused whatever they press")
    func noRole() {
        #expect(Self.decide(.action(.acknowledge), role: nil) == .refuse(.notOperator))
        #expect(Self.decide(.unblock, role: nil) == .refuse(.notOperator))
    }

    @Test("reboot needs an admin; an operator's block is carried out")
    func roles() {
        #expect(Self.decide(.action(.reboot)) == .refuse(.needsAdmin(.reboot)))
        #expect(Self.decide(.action(.reboot), role: .admin) == .askConfirmation(.reboot))
        #expect(Self.decide(.action(.blockIP1h)) == .carryOut(.blockIP1h))
    }

    @Test("an action the agent did not offer is refused, even for an admin")
    func notOffered() {
        #expect(Self.decide(.action(.shutdown), role: .admin) == .refuse(.notOffered(.shutdown)))
        #expect(Self.decide(.action(.blockIP24h), role: .admin) == .refuse(.notOffered(.blockIP24h)))
    }

    @Test("buttons older than the lifetime are refused; at the limit they still work")
    func lifetime() {
        #expect(Self.decide(.action(.blockIP1h), after: 86_400) == .carryOut(.blockIP1h))
        #expect(Self.decide(.action(.blockIP1h), after: 86_401) == .refuse(.expired))
    }

    @Test("a reboot on a handled alert names who handled it; confirm, cancel and unblock pass to the handler")
    func confirmationFlow() {
        #expect(Self.decide(.action(.reboot), role: .admin, status: .handled) == .refuse(.alreadyHandled(by: "@alice")))
        #expect(Self.decide(.confirm(.reboot), role: .admin) == .confirm(.reboot))
        #expect(Self.decide(.cancel) == .cancel)
        #expect(Self.decide(.unblock) == .unblock)
        #expect(Self.decide(.digestBlock) == .refuse(.notForAlerts))
    }

    @Test("a digest's buttons follow the same rules: operators only, the list always, the block until the lifetime ends")
    func digestChoices() {
        let last = Self.received
        func decide(_ choice: CallbackData.Choice, role: TelegramConfiguration.Role? = .operator, after seconds: TimeInterval = 10)
            -> ChoicePolicy.DigestDecision
        {
            Self.policy.decide(choice, onDigestLastAlertAt: last, role: role, now: last.addingTimeInterval(seconds))
        }
        #expect(decide(.digestBlock, role: nil) == .refuse(.notOperator))
        #expect(decide(.digestShow, role: nil) == .refuse(.notOperator))
        #expect(decide(.digestBlock) == .block)
        #expect(decide(.digestBlock, after: 86_401) == .refuse(.expired))
        #expect(decide(.digestShow, after: 86_401) == .show)
        #expect(decide(.action(.blockIP1h)) == .refuse(.notForDigests))
    }

    @Test("the action table: who may choose, what needs a second tap, what the hub settles itself")
    func actionTable() {
        #expect(
            AlertAction.allCases.filter(\.needsAdmin) == [
                .reboot, .shutdown, .upgradePackages, .restartServices, .stopService, .stopDisableService, .revertFile, .removeKey, .lockUser,
                .removeFromGroup, .killWriter,
            ])
        #expect(
            AlertAction.allCases.filter(\.needsConfirmation) == [
                .reboot, .shutdown, .restartServices, .killProcess, .stopService, .stopDisableService, .blockPort, .revertFile, .removeKey,
                .lockUser, .removeFromGroup, .killWriter,
            ])
        #expect(AlertAction.allCases.filter(\.isLocal) == [.acknowledge, .ignore, .muteProgram])
        // Every action the agent runs has a command; every action settled on the hub has none.
        for action in AlertAction.allCases {
            let command = Result { () throws(CommandConstructionError) -> ResponseAction in try ResponseAction(for: action, on: Self.alert()) }
            if action.isLocal {
                #expect(throws: CommandConstructionError.self) { try command.get() }
            } else if action == .killSession || action.blockDuration != nil || action == .reboot || action == .shutdown {
                #expect((try? command.get()) != nil, "\(action) has a command")
            }
        }
    }
}
