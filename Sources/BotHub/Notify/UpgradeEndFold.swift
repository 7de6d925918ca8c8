import Foundation
import Shared

/// Shows an `upgrade_finished` alert in the message of the alert the upgrade was chosen on, instead of a new message:
/// that message said "upgrading…", and now says how it ended (the versions installed, or the failure with the tail of
/// apt's output). On a failure the alert is reopened with its buttons, so the operator can rescan and try again. An
/// upgrade chosen in the fleet view ends in the fleet message instead (`foldIntoFleet`).
struct UpgradeEndFold {
    let store: HubStore
    let catalogs: MessageCatalogs
    let telegram: any TelegramAPI
    let roster: ChatRoster
    let storeErrors: StoreErrorReporter

    /// True when the end was shown in the original message of `message`'s chat (and `message` is recorded as sent
    /// there); false when there is no such message, and the end is sent as a message of its own.
    func fold(_ message: PendingMessage, end: UpgradeFinishedEvidence) async throws(TelegramError) -> Bool {
        // Only fleet commands carry no alert.
        guard let originalID = end.alertId?.uuidString else { return try await foldIntoFleet(message, end: end) }
        guard
            let found = await storeErrors.attempt("read_alert", context: ["alert": "\(originalID)"], { try await store.alert(id: originalID) }),
            let original = found,
            let decoded = storeErrors.attempt("decode_alert", context: ["alert": "\(originalID)"], { try original.decoded() }),
            let lookup = await storeErrors.attempt(
                "read_message_id", context: ["alert": "\(originalID)"], { try await store.messageID(alertID: originalID, chatID: message.chatID) }),
            let messageID = lookup
        else { return false }
        let language = roster.language(of: message.chatID)
        let line = { (language: String) in
            AlertMessageRenderer.upgradeEndLine(end) { key, values in catalogs.text(key, language: language, values) }
        }
        let succeeded = end.outcome == .done
        let rendered = AlertMessageRenderer(catalogs: catalogs).render(decoded, shortID: original.shortId, language: language)
        let html = [rendered.html, original.outcome, line(language)].compactMap { $0 }.joined(separator: "\n\n")
        try await telegram.editMessageText(chatID: message.chatID, messageID: messageID, html: html, keyboard: succeeded ? [] : rendered.keyboard)
        await storeErrors.perform("mark_message_sent", context: ["alert": "\(message.alert.id)"]) {
            try await store.markMessageSent(alertID: message.alert.id, chatID: message.chatID, messageID: messageID)
        }
        await storeErrors.perform("finish_alert", context: ["alert": "\(originalID)"]) {
            try await store.finishAlert(id: originalID, outcome: line(roster.defaultLanguage), reopen: !succeeded)
        }
        return true
    }
}
