import Foundation
import Logging
import ServiceLifecycle
import Shared

/// Sends stored alerts' pending messages to Telegram and records their message ids, so buttons can be matched to
/// alerts and outcomes shown in place. Messages live in SQLite until sent: a restart loses none and sends none twice.
actor AlertNotifier: Service {
    private let store: HubStore
    private let catalogs: MessageCatalogs
    private let telegram: any TelegramAPI
    private let chats: [TelegramConfiguration.Chat]
    private let defaultLanguage: String
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let wakeSignal = WakeSignal()

    init(
        store: HubStore,
        catalogs: MessageCatalogs,
        telegram: any TelegramAPI,
        chats: [TelegramConfiguration.Chat],
        defaultLanguage: String,
        logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.catalogs = catalogs
        self.telegram = telegram
        self.chats = chats
        self.defaultLanguage = defaultLanguage
        self.logger = logger
        self.now = now
    }

    /// Asks the notifier to look for pending messages now (called after an alert is stored).
    nonisolated func wake() {
        Task { await wakeSignal.signal() }
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let delay = await self.sendPending()
                await self.wakeSignal.wait(upTo: delay)
            }
        }
    }

    /// Sends every pending message; returns how long to wait before looking again.
    func sendPending() async -> Duration {
        var retryIn: Duration = .seconds(30)
        let pending: [PendingMessage]
        do {
            pending = try store.pendingMessages()
        } catch {
            logger.error("cannot read pending messages", metadata: ["error": "\(error)"])
            return .seconds(5)
        }
        for message in pending {
            guard let alert = try? message.alert.decoded() else {
                try? store.markMessageFailed(alertID: message.alert.id, chatID: message.chatID, reason: "undecodable alert")
                continue
            }
            let language = (try? store.chatLanguage(message.chatID)) ?? chats.first { $0.id == message.chatID }?.language ?? defaultLanguage
            let rendered = AlertMessageRenderer(catalogs: catalogs).render(alert, language: language)
            do {
                let sent = try await telegram.sendMessage(chatID: message.chatID, html: rendered.html, keyboard: rendered.keyboard)
                try store.markMessageSent(alertID: message.alert.id, chatID: message.chatID, messageID: sent.messageId)
                try? store.audit(
                    "message", actor: nil, alertID: message.alert.id, detail: "sent to chat \(message.chatID) as \(sent.messageId)", at: now())
            } catch let error as TelegramError where error.isTransient {
                logger.warning("telegram send deferred", metadata: ["chat": "\(message.chatID)", "error": "\(error)"])
                retryIn = min(retryIn, .seconds(error.retryAfter ?? 2))
                break
            } catch {
                logger.error("telegram send failed", metadata: ["chat": "\(message.chatID)", "error": "\(error)"])
                try? store.markMessageFailed(alertID: message.alert.id, chatID: message.chatID, reason: "\(error)")
            }
        }
        return retryIn
    }
}
