import Shared

/// Counts every Bot API call by method and status (and 429s on their own) for `/metrics`, and records whether
/// Telegram answers for `bothub status`.
struct MeteredTelegram: TelegramAPI {
    let wrapped: any TelegramAPI
    let metrics: MetricsRegistry
    var reachability: ReachabilityRecorder?

    private func count<T>(_ method: String, _ call: () async throws(TelegramError) -> T) async throws(TelegramError) -> T {
        do {
            let result = try await call()
            reachability?.record(nil)
            metrics.increment(
                "vigil_telegram_calls_total", help: "Bot API calls by method and HTTP status.", labels: ["method": method, "status": "200"])
            return result
        } catch {
            reachability?.record(error)
            let status = error.code == 0 ? "network" : String(error.code)
            metrics.increment(
                "vigil_telegram_calls_total", help: "Bot API calls by method and HTTP status.", labels: ["method": method, "status": status])
            if error.code == 429 {
                metrics.increment(
                    "vigil_telegram_rate_limited_total", help: "Bot API calls refused with 429 Too Many Requests.", labels: ["method": method])
            }
            throw error
        }
    }

    func getMe() async throws(TelegramError) -> TelegramUser {
        try await count("getMe") { () async throws(TelegramError) in try await wrapped.getMe() }
    }

    func deleteWebhook() async throws(TelegramError) {
        try await count("deleteWebhook") { () async throws(TelegramError) in try await wrapped.deleteWebhook() }
    }

    func getUpdates(offset: Int64?, timeout: Int) async throws(TelegramError) -> [TelegramUpdate] {
        try await count("getUpdates") { () async throws(TelegramError) in try await wrapped.getUpdates(offset: offset, timeout: timeout) }
    }

    func sendMessage(chatID: Int64, html: String, keyboard: [[InlineButton]]) async throws(TelegramError) -> TelegramMessage {
        try await count("sendMessage") { () async throws(TelegramError) in
            try await wrapped.sendMessage(chatID: chatID, html: html, keyboard: keyboard)
        }
    }

    func editMessageText(chatID: Int64, messageID: Int64, html: String, keyboard: [[InlineButton]]) async throws(TelegramError) {
        try await count("editMessageText") { () async throws(TelegramError) in
            try await wrapped.editMessageText(chatID: chatID, messageID: messageID, html: html, keyboard: keyboard)
        }
    }

    func answerCallbackQuery(id: String, text: String?, showAlert: Bool) async throws(TelegramError) {
        try await count("answerCallbackQuery") { () async throws(TelegramError) in
            try await wrapped.answerCallbackQuery(id: id, text: text, showAlert: showAlert)
        }
    }

    func sendDocument(chatID: Int64, fileName: String, bytes: [UInt8], caption: String?) async throws(TelegramError) -> TelegramMessage {
        try await count("sendDocument") { () async throws(TelegramError) in
            try await wrapped.sendDocument(chatID: chatID, fileName: fileName, bytes: bytes, caption: caption)
        }
    }
}
