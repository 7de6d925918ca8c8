import Foundation
import Logging
import ServiceLifecycle
import Shared

/// Long-polls `getUpdates` and hands each update to its handler at most once.
///
/// Each update id is taken in SQLite, and the offset saved, before it is handled, so a hub killed mid-batch neither
/// loses the rest of the batch nor handles an update twice when Telegram redelivers it (a press the kill interrupted
/// is finished by `ChoiceRecovery` at the next start). Handlers run concurrently in `UpdateLanes`, at most
/// `concurrentHandlers` at once: a press waiting for a slow agent holds up only later presses on the same alert.
struct UpdatePoller: Service {
    let store: HubStore
    let telegram: any TelegramAPI
    let choices: ChoiceHandler
    let commands: ChatCommandHandler
    let logger: Logger
    /// Seconds Telegram holds a long poll open (50 in production; short in tests).
    var pollTimeout = 50
    let now: @Sendable () -> Date
    /// Handlers running (or queued in a lane) at once; past this the poller waits before taking more updates.
    var concurrentHandlers = 64

    func run() async throws {
        do {
            try await telegram.deleteWebhook()
        } catch {
            logger.warning("deleteWebhook failed; getUpdates will fail while a webhook is set", metadata: ["error": "\(error)"])
        }
        await cancelWhenGracefulShutdown {
            let lanes = UpdateLanes()
            // The group ends only when every handler has: at shutdown the handlers in flight are cancelled and awaited
            // (a dispatch cut short reopens its alert), then the offset is confirmed.
            await withTaskGroup(of: Void.self) { handlers in
                var unreaped = 0
                var failures = 0
                while !Task.isCancelled {
                    do throws(TelegramError) {
                        for update in try await pollOnce() {
                            if unreaped >= concurrentHandlers {
                                _ = await handlers.next()
                                unreaped -= 1
                            }
                            let task = await lanes.enqueue(update.lane) { await self.handle(update) }
                            handlers.addTask {
                                await withTaskCancellationHandler {
                                    await task.value
                                } onCancel: {
                                    task.cancel()
                                }
                            }
                            unreaped += 1
                        }
                        failures = 0
                    } catch {
                        // A long poll cut short by shutdown is not a failure.
                        if Task.isCancelled { break }
                        failures += 1
                        await self.backOff(after: error, failures: failures)
                    }
                }
            }
        }
        await confirmOffset()
    }

    /// One `getUpdates` round: takes each new update (in SQLite, saving the offset after each) and returns those this
    /// hub has not handled before, in order, for the caller to handle.
    func pollOnce() async throws(TelegramError) -> [TelegramUpdate] {
        let offset = await storeErrors.attempt("read_telegram_offset") { try await store.telegramOffset() }
        let updates = try await telegram.getUpdates(offset: offset ?? nil, timeout: pollTimeout)
        var taken: [TelegramUpdate] = []
        for update in updates {
            // An update the store cannot take is not handled now, nor its offset saved: Telegram delivers it (and the
            // rest of the batch) again, and it is handled once the store works. The error is logged and counted.
            guard
                let isNew = await storeErrors.attempt(
                    "take_update", context: ["update": "\(update.updateId)"], { try await store.takeUpdate(update.updateId, now: now()) })
            else { break }
            if isNew {
                taken.append(update)
            } else {
                logger.info("skipping an update handled before a restart", metadata: ["update": "\(update.updateId)"])
            }
            await storeErrors.perform("save_telegram_offset", context: ["update": "\(update.updateId)"]) {
                try await store.saveTelegramOffset(update.updateId + 1)
            }
        }
        return taken
    }

    private var storeErrors: StoreErrorReporter { StoreErrorReporter(logger: logger, metrics: choices.metrics) }

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
        guard let found = await storeErrors.attempt("read_telegram_offset", { try await store.telegramOffset() }), let offset = found else { return }
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
