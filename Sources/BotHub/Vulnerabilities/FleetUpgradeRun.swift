import Foundation
import GRDB
import Shared

/// A confirmed fleet upgrade as stored: the message it shows in, and per host the command sent and how far it got.
/// Recorded before any command is sent, so a hub killed mid-dispatch knows at its next start what to send again.
struct FleetUpgradeRun: Sendable, Equatable {
    /// How far one host's upgrade got, as far as the hub knows. Stored as its raw value under a `CHECK` constraint
    /// (migration `vulnerabilities-v4-fleet-upgrade-runs`).
    enum HostState: String, CaseIterable, Sendable, DatabaseValueConvertible {
        /// Recorded, perhaps sent; no answer recorded (the start-up recovery sends it again).
        case sent
        /// The agent answered (typically "started"); its `upgrade_finished` has not arrived.
        case answered
        /// Its `upgrade_finished` arrived and is shown.
        case ended
    }

    struct Host: Sendable, Equatable {
        var agent: String
        var command: ResponseCommand
        var state: HostState
        /// The immediate answer in words ("started: upgrading: …"); plain text.
        var answer: String?
        /// How the upgrade ended (`AlertMessageRenderer.upgradeEndLine`), already HTML in the chat's language.
        var endLine: String?
    }

    var id: String
    /// Where the fleet view was pressed (nil for a press without a message, which is recorded but never edited).
    var chatID: Int64?
    var messageID: Int64?
    /// "CVE-2024-0001 openssl" or "web-1".
    var label: String
    var chosenBy: String
    var chosenAt: Date
    var revision: Int
    var hosts: [Host]

    /// This run with the answers in `results` (by agent) given to the hosts still waiting for one.
    func answered(by results: [String: ResponseResult]) -> FleetUpgradeRun {
        var run = self
        for index in run.hosts.indices where run.hosts[index].state == .sent {
            guard let result = results[run.hosts[index].agent] else { continue }
            run.hosts[index].state = .answered
            run.hosts[index].answer = FleetUpgradeChoices.describe(result)
        }
        return run
    }

    /// The message: the header, then one line per host with its latest state.
    func html(text: (MessageKey, [String: String]) -> String) -> String {
        var lines = [text(.fleetOutcomeHeader, ["target": label, "user": chosenBy, "time": MessageTime.format(chosenAt)])]
        for host in hosts {
            switch host.state {
            case .ended:
                // The end line is HTML already; passed as a value it would be escaped a second time.
                lines.append(text(.fleetHostName, ["host": host.agent]) + " " + (host.endLine ?? ""))
            case .answered:
                lines.append(text(.fleetHostOutcome, ["host": host.agent, "outcome": host.answer ?? ""]))
            case .sent:
                lines.append(text(.fleetHostWaiting, ["host": host.agent]))
            }
        }
        return lines.joined(separator: "\n")
    }
}
