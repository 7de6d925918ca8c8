import Foundation
import Shared

extension UpgradeEndFold {
    /// The fleet message holds every host's line within Telegram's 4,096 characters, so each host gets a shorter tail
    /// of apt's output than an alert's own message (1,500).
    static let fleetOutputTailLimit = 400

    /// Shows the end of an upgrade chosen in the fleet view (its command names no alert) in the fleet message it was
    /// confirmed in: that host's line said "started" and now says how it ended; the other hosts' lines stay as stored.
    /// True when shown (and `message` is recorded as sent there); false when no fleet upgrade shown in `message`'s
    /// chat sent this command to this agent, and the end is sent as a message of its own.
    func foldIntoFleet(_ message: PendingMessage, end: UpgradeFinishedEvidence) async throws(TelegramError) -> Bool {
        var bounded = end
        bounded.outputTail = end.outputTail.map { String($0.suffix(Self.fleetOutputTailLimit)) }
        let language = roster.language(of: message.chatID)
        let line = AlertMessageRenderer.upgradeEndLine(bounded) { key, values in catalogs.text(key, language: language, values) }
        let recorded = storeErrors.attempt("record_fleet_upgrade_end", context: ["command": "\(end.commandId)"]) {
            try store.recordFleetUpgradeEnd(commandID: end.commandId, agent: message.alert.agent, chatID: message.chatID, endLine: line)
        }
        guard let run = recorded ?? nil, let messageID = run.messageID else { return false }
        try await FleetUpgradeMessage(store: store, catalogs: catalogs, telegram: telegram, roster: roster, storeErrors: storeErrors).show(run)
        await storeErrors.perform("mark_message_sent", context: ["alert": "\(message.alert.id)"]) {
            try await store.markMessageSent(alertID: message.alert.id, chatID: message.chatID, messageID: messageID)
        }
        return true
    }
}
