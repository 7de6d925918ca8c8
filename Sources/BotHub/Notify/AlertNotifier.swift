import Foundation
import Logging
import ServiceLifecycle
import Shared

/// Sends stored alerts' pending messages to Telegram, one paced queue per chat, and records their message ids so
/// buttons match alerts and outcomes appear in place. Messages live in SQLite until sent: a restart loses none (one
/// caught between `sendMessage` and recording its id is sent again: at-least-once).
actor AlertNotifier: Service, CustomStringConvertible {
    nonisolated var description: String { "AlertNotifier" }

    private let store: HubStore
    private let catalogs: MessageCatalogs
    private let telegram: any TelegramAPI
    private let roster: ChatRoster
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let wakeSignal = WakeSignal()
    private var pacer: ChatPacer
    private let digests: DigestSettings
    private let storeErrors: StoreErrorReporter

    init(
        store: HubStore,
        catalogs: MessageCatalogs,
        telegram: any TelegramAPI,
        roster: ChatRoster,
        rates: ChatPacer.Rates = ChatPacer.Rates(privatePerSecond: 1, groupPerMinute: 20),
        digests: DigestSettings = DigestSettings(),
        logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init,
        metrics: MetricsRegistry? = nil
    ) {
        self.storeErrors = StoreErrorReporter(logger: logger, metrics: metrics)
        self.store = store
        self.catalogs = catalogs
        self.telegram = telegram
        self.roster = roster
        self.pacer = ChatPacer(rates: rates)
        self.digests = digests
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

    /// Sends every pending message whose chat has a free slot, in order per chat; returns how long to wait before
    /// the next slot opens (or 30 s when nothing is waiting).
    func sendPending() async -> Duration {
        let pending: [PendingMessage]
        do {
            pending = try await store.pendingMessages(limit: 1000)
        } catch {
            logger.error("cannot read pending messages", metadata: ["error": "\(error)"])
            return .seconds(5)
        }
        var nextWake = now().addingTimeInterval(30)
        var deferredChats: Set<Int64> = []
        let mutes: [ChatMute]
        do {
            mutes = try store.activeMutes(now: now())
        } catch {
            // Showing an alert someone muted is the safe side of this failure.
            logger.error("cannot read mutes; showing every alert", metadata: ["error": "\(error)"])
            mutes = []
        }
        for message in pending where !deferredChats.contains(message.chatID) {
            if mutes.contains(where: { $0.hides(message.alert, in: message.chatID) }) {
                // Muted alerts are stored and audited, not shown in that chat (`bothub alerts` still lists them).
                await storeErrors.perform("mark_message_muted", context: ["alert": "\(message.alert.id)"]) {
                    try await store.markMessageMuted(alertID: message.alert.id, chatID: message.chatID)
                }
                continue
            }
            if await shouldFold(message) {
                // Folding into a digest sends nothing now; the digest is shown (or edited) below at the chat's pace.
                await storeErrors.perform("fold_into_digest", context: ["alert": "\(message.alert.id)"]) {
                    _ = try await store.fold(alert: message.alert, chatID: message.chatID, window: digests.window, now: now())
                }
                continue
            }
            let slot = pacer.nextSlot(for: message.chatID, now: now())
            if slot > now() {
                // This chat waits; its later messages keep their order behind this one, other chats go on.
                deferredChats.insert(message.chatID)
                nextWake = min(nextWake, slot)
                continue
            }
            if !(await send(message)) {
                deferredChats.insert(message.chatID)
                nextWake = min(nextWake, pacer.nextSlot(for: message.chatID, now: now()))
            }
        }
        for digest in await storeErrors.attempt("read_dirty_digests", { try await store.dirtyDigests() }) ?? [] {
            let slot = pacer.nextSlot(for: digest.chatId, now: now())
            guard slot <= now() else {
                nextWake = min(nextWake, slot)
                continue
            }
            await show(digest)
        }
        // More than one batch waiting: come back at once for the rest.
        if pending.count == 1000, deferredChats.isEmpty { return .zero }
        return .milliseconds(Int64((max(0, nextWake.timeIntervalSince(now())) * 1000).rounded(.up)))
    }

    /// A flood of one kind from one agent becomes a digest; the first critical alert of a kind is always shown alone.
    private func shouldFold(_ message: PendingMessage) async -> Bool {
        let alert = message.alert
        let windowStart = alert.receivedAt.addingTimeInterval(-digests.window)
        if alert.severity == .critical,
            await storeErrors.attempt(
                "count_critical_alerts",
                { try await store.criticalCount(agent: alert.agent, kind: alert.kind.rawValue, since: windowStart, before: alert.receivedAt) }) == 0
        {
            return false
        }
        if await storeErrors.attempt(
            "read_open_digest",
            {
                try await store.hasOpenDigest(
                    chatID: message.chatID, agent: alert.agent, kind: alert.kind.rawValue, window: digests.window, now: now())
            })
            == true
        {
            return true
        }
        let count =
            await storeErrors.attempt(
                "count_alerts",
                { try await store.alertCount(agent: alert.agent, kind: alert.kind.rawValue, since: windowStart, until: alert.receivedAt) })
            ?? 0
        return count > digests.threshold
    }

    /// Sends a new digest or edits the shown one in place.
    private func show(_ digest: StoredDigest) async {
        guard let id = digest.id else { return }
        let alerts = (await storeErrors.attempt("read_digest_alerts", context: ["digest": "\(id)"]) { try await store.digestAlerts(id) } ?? [])
            .compactMap {
                stored in
                storeErrors.attempt("decode_alert", context: ["alert": "\(stored.id)"]) { try stored.decoded() }
            }
        let rendered = DigestRenderer(catalogs: catalogs).render(digest, alerts: alerts, language: roster.language(of: digest.chatId), now: now())
        // Stored with the message, so the block button blocks exactly what this message lists.
        let targets = DigestRenderer.offeredBlockTargets(digest, alerts: alerts).map(\.ip)
        do {
            if let messageID = digest.messageId {
                try await telegram.editMessageText(chatID: digest.chatId, messageID: messageID, html: rendered.html, keyboard: rendered.keyboard)
                pacer.recordSent(to: digest.chatId, at: now())
                try await store.markDigestShown(id, messageID: messageID, blockTargets: targets)
            } else {
                let sent = try await telegram.sendMessage(chatID: digest.chatId, html: rendered.html, keyboard: rendered.keyboard)
                pacer.recordSent(to: digest.chatId, at: now())
                try await store.markDigestShown(id, messageID: sent.messageId, blockTargets: targets)
            }
        } catch let error as TelegramError where error.code == 429 {
            pacer.recordRateLimited(digest.chatId, retryAfter: error.retryAfter ?? 1, at: now())
        } catch let error as TelegramError where error.isTransient {
            pacer.recordTransientFailure(digest.chatId, at: now())
        } catch {
            logger.error("cannot show a digest", metadata: ["chat": "\(digest.chatId)", "error": "\(error)"])
        }
    }

    /// Sends one message; false if the chat must wait before its next message.
    private func send(_ message: PendingMessage) async -> Bool {
        guard let alert = try? message.alert.decoded() else {
            await storeErrors.perform("mark_message_failed", context: ["alert": "\(message.alert.id)"]) {
                try await store.markMessageFailed(alertID: message.alert.id, chatID: message.chatID, reason: "undecodable alert")
            }
            return true
        }
        if await storeErrors.attempt("read_chat_blocked", { try await store.isChatBlocked(message.chatID) }) == true {
            await storeErrors.perform("mark_message_failed", context: ["alert": "\(message.alert.id)"]) {
                try await store.markMessageFailed(alertID: message.alert.id, chatID: message.chatID, reason: "the bot is blocked in this chat")
            }
            return true
        }
        if case .upgradeFinished(let end) = alert.subject {
            do {
                let fold = UpgradeEndFold(store: store, catalogs: catalogs, telegram: telegram, roster: roster, storeErrors: storeErrors)
                if try await fold.fold(message, end: end) {
                    pacer.recordSent(to: message.chatID, at: now())
                    return true
                }
            } catch {
                return await handle(error, for: message)
            }
        }
        let rendered = AlertMessageRenderer(catalogs: catalogs).render(
            alert, shortID: message.alert.shortId, language: roster.language(of: message.chatID))
        do {
            // Marked first: a hub killed between Telegram accepting the message and the next write finds it
            // `sending` and sends it again (at-least-once; the README's "Delivery" says so).
            try await store.markMessageSending(alertID: message.alert.id, chatID: message.chatID)
            let sent = try await telegram.sendMessage(chatID: message.chatID, html: rendered.html, keyboard: rendered.keyboard)
            pacer.recordSent(to: message.chatID, at: now())
            try await store.markMessageSent(alertID: message.alert.id, chatID: message.chatID, messageID: sent.messageId)
            await storeErrors.perform("audit") {
                try await store.audit(
                    "message", actor: nil, alertID: message.alert.id, detail: "sent to chat \(message.chatID) as \(sent.messageId)", at: now())
            }
            return true
        } catch let error as TelegramError {
            return await handle(error, for: message)
        } catch {
            logger.error("cannot record a sent message", metadata: ["error": "\(error)"])
            return true
        }
    }

    private func handle(_ error: TelegramError, for message: PendingMessage) async -> Bool {
        if let newChat = error.migrateToChatID {
            logger.warning("group was upgraded to a supergroup; following it", metadata: ["from": "\(message.chatID)", "to": "\(newChat)"])
            await storeErrors.perform("migrate_chat", context: ["chat": "\(message.chatID)"]) {
                try await store.migrateChat(from: message.chatID, to: newChat)
            }
            return false
        }
        if error.code == 429 {
            let wait = error.retryAfter ?? 1
            logger.warning("rate limited by Telegram", metadata: ["chat": "\(message.chatID)", "retry_after": "\(wait)"])
            pacer.recordRateLimited(message.chatID, retryAfter: wait, at: now())
            return false
        }
        if error.isTransient {
            logger.warning("Telegram unavailable; will retry", metadata: ["chat": "\(message.chatID)", "error": "\(error)"])
            pacer.recordTransientFailure(message.chatID, at: now())
            return false
        }
        if error.isForbidden {
            logger.error("the bot was blocked or removed in a chat; its alerts are not delivered", metadata: ["chat": "\(message.chatID)"])
            await storeErrors.perform("set_chat_blocked", context: ["chat": "\(message.chatID)"]) {
                try await store.setChatBlocked(message.chatID, true)
            }
        } else {
            logger.error("Telegram refused an alert message", metadata: ["chat": "\(message.chatID)", "error": "\(error)"])
        }
        await storeErrors.perform("mark_message_failed", context: ["alert": "\(message.alert.id)"]) {
            try await store.markMessageFailed(alertID: message.alert.id, chatID: message.chatID, reason: error.description)
        }
        return true
    }
}

/// When a stream of alerts becomes a digest.
struct DigestSettings: Sendable {
    /// More than this many alerts of one kind from one agent within `window` fold into a digest.
    var threshold = 10
    var window: TimeInterval = 60
}
