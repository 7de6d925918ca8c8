import Foundation
import Shared

/// Shows a confirmed fleet upgrade in the fleet-view message it was chosen in. Its hosts change from several places
/// at once (the confirm's answers, each host's end through the notifier, the start-up recovery), and edits can reach
/// Telegram in another order than their store writes; so after each edit the run is read again and, if it moved on,
/// shown again: the last edit to land shows the latest state.
struct FleetUpgradeMessage {
    let store: HubStore
    let catalogs: MessageCatalogs
    /// Nil when the hub runs without Telegram: there is no message to edit.
    let telegram: (any TelegramAPI)?
    let roster: ChatRoster
    let storeErrors: StoreErrorReporter

    /// Edits after which a run still changing is left to the next change's own edit.
    static let reshows = 4

    /// Edits the run's message to show `run` (and any later state of it); throws Telegram's refusal, so a caller
    /// that retries (the notifier) can. (`TelegramClient` counts an edit to identical text as done.)
    func show(_ run: FleetUpgradeRun) async throws(TelegramError) {
        guard let telegram, let chatID = run.chatID, let messageID = run.messageID else { return }
        let language = roster.language(of: chatID)
        var shown = run
        for _ in 0..<Self.reshows {
            let html = shown.html { key, values in catalogs.text(key, language: language, values) }
            try await telegram.editMessageText(chatID: chatID, messageID: messageID, html: html, keyboard: [])
            let latest = storeErrors.attempt("read_fleet_upgrade_run", context: ["run": "\(run.id)"]) { try store.fleetUpgradeRun(id: run.id) }
            guard let latest = latest ?? nil, latest.revision > shown.revision else { return }
            shown = latest
        }
    }
}
