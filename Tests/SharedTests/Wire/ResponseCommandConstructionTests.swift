import Foundation
import Shared
import Testing
import VigilTestSupport

/// The command an offered action stands for is built from the alert alone: the address, pid and start time come
/// from the alert's evidence, never from a button.
@Suite("Command construction")
struct ResponseCommandConstructionTests {
    static let requester = Operator(telegramUserId: 7, name: "@bob")
    static let issued = Date(timeIntervalSince1970: 1_800_000_000)

    static func command(_ action: AlertAction, on alert: Alert) throws(CommandConstructionError) -> ResponseCommand {
        try ResponseCommand(for: action, on: alert, by: requester, issuedAt: issued, lifetime: 120)
    }

    @Test("a block names the alert's remote address and the action's duration; permanent has none")
    func blocks() throws {
        let alert = WireGoldenTests.sshAlert
        #expect(try Self.command(.blockIP1h, on: alert).action == .blockIP(ip: "203.0.113.9", durationSeconds: 3600))
        #expect(try Self.command(.blockIP24h, on: alert).action == .blockIP(ip: "203.0.113.9", durationSeconds: 86_400))
        #expect(try Self.command(.blockIPPermanent, on: alert).action == .blockIP(ip: "203.0.113.9", durationSeconds: nil))
        let command = try Self.command(.blockIP1h, on: alert)
        #expect(command.alertId == alert.id)
        #expect(command.expiresAt == Self.issued.addingTimeInterval(120))
    }

    @Test("a kill names the session's pid and start time, and is refused when the start time was not recorded")
    func kills() throws {
        #expect(try Self.command(.killSession, on: WireGoldenTests.sshAlert).action == .killSession(pid: 4242, startTime: 123_456))
        var alert = WireGoldenTests.sshAlert
        alert.subject = .sshSession(SSHSessionEvidence(user: "root", ip: "203.0.113.9", port: 1, method: "password", pid: 4242, pidStartTime: nil))
        #expect(throws: CommandConstructionError.self) { try Self.command(.killSession, on: alert) }
    }

    @Test("an alert without a remote address cannot be blocked or unblocked; acknowledging sends nothing")
    func refusals() {
        let cpu = WireGoldenTests.cpuAlert
        #expect(cpu.subject.remoteAddress == nil)
        #expect(throws: CommandConstructionError.self) { try Self.command(.blockIP1h, on: cpu) }
        #expect(throws: CommandConstructionError.self) {
            try ResponseCommand(unblocking: cpu, by: Self.requester, issuedAt: Self.issued, lifetime: 120)
        }
        #expect(throws: CommandConstructionError.self) { try Self.command(.acknowledge, on: WireGoldenTests.sshAlert) }
    }

    @Test("one wire name per action: the JSON type, the audit text and the agent's logs spell it alike")
    func wireNames() throws {
        for action in [
            ResponseAction.blockIP(ip: "192.0.2.1", durationSeconds: nil), .unblockIP(ip: "192.0.2.1"), .killSession(pid: 1, startTime: 2), .reboot,
            .shutdown,
        ] {
            let json = String(decoding: try WireCoding.encode(action), as: UTF8.self)
            #expect(json.contains("\"type\":\"\(action.name)\""))
        }
    }
}
