import Foundation
import Logging
import ServiceLifecycle
import Shared

/// Long-polls `getUpdates` and hands each update to its handler exactly once.
///
/// Each update id is taken in SQLite before it is handled and the offset is saved after it, so a hub killed
/// mid-batch neither loses the rest of the batch nor handles an update twice when Telegram redelivers it.
struct UpdatePoller: Service {
    let store: HubStore
    let telegram: any TelegramAPI
    let choices: ChoiceHandler
    let commands: ChatCommandHandler
    let logger: Logger
    /// Seconds Telegram holds a long poll open (50 in production; short in tests).
    var pollTimeout = 50
    let now: @Sendable () -> Date

    func run() async throws {
        do {
            try await telegram.deleteWebhook()
        } catch {
            logger.warning("deleteWebhook failed; getUpdates will fail while a webhook is set", metadata: ["error": "\(error)"])
        }
        await cancelWhenGracefulShutdown {
            var failures = 0
            while !Task.isCancelled {
                do throws(TelegramError) {
                    try await pollOnce()
                    failures = 0
                } catch {
                    // A long poll cut short by shutdown is not a failure.
                    if Task.isCancelled { break }
                    failures += 1
                    await self.backOff(after: error, failures: failures)
                }
            }
        }
        await confirmOffset()
    }

    /// One `getUpdates` round: handle each update in order, saving the offset after each.
    func pollOnce() async throws(TelegramError) {
        let offset = try? store.telegramOffset()
        let updates = try await telegram.getUpdates(offset: offset ?? nil, timeout: pollTimeout)
        for update in updates {
            if (try? store.takeUpdate(update.updateId, now: now())) == true {
                await handle(update)
            } else {
                logger.info("skipping an update handled before a restart", metadata: ["update": "\(update.updateId)"])
            }
            try? store.saveTelegramOffset(update.updateId + 1)
        }
    }

    private func handle(_ update: TelegramUpdate) async {
        if let query = update.callbackQuery {
            await choices.handle(query)
        } else if let message = update.message {
            await commands.handle(message)
        }
    }

    private func backOff(after error: TelegramError, failures: Int) async {
        if error.code == 409, !error.isConflict {
            logger.error("a webhook is set for this bot; removing it so getUpdates can work")
            try? await telegram.deleteWebhook()
        } else if error.isConflict {
            logger.critical("another hub is polling with this token: Telegram allows one getUpdates consumer per bot; stop the other one")
        } else {
            logger.warning("getUpdates failed", metadata: ["error": "\(error)"])
        }
        let seconds = error.retryAfter.map(Double.init) ?? min(60, pow(2, Double(min(failures, 6))))
        try? await Task.sleep(for: .seconds(seconds))
    }

    /// Tells Telegram which updates were handled, so they are not delivered again to the next hub that starts.
    private func confirmOffset() async {
        guard let offset = try? store.telegramOffset() else { return }
        // The service's task is cancelled by now; a fresh task lets this last short call go out.
        let telegram = telegram
        _ = await Task { try? await telegram.getUpdates(offset: offset, timeout: 0) }.value
        logger.info("update offset confirmed", metadata: ["offset": "\(offset)"])
    }
}

extension UpdatePoller: CustomStringConvertible {
    /// How the service group names this service in its logs: no configuration, no secrets.
    var description: String { "UpdatePoller" }
}
