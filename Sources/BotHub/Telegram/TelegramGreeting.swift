import Logging
import ServiceLifecycle

/// `getMe` at start, told apart by cause: only Telegram answering 401 or 404 means the token is wrong. Anything else
/// (no route, DNS, a refused connection, a 5xx) is the network, which at boot is often simply not up yet.
enum TelegramGreeting: Sendable {
    case connected(TelegramUser)
    case tokenRefused(TelegramError)
    case unreachable(TelegramError)

    static func greet(_ telegram: any TelegramAPI) async -> TelegramGreeting {
        do {
            return .connected(try await telegram.getMe())
        } catch {
            return error.code == 401 || error.code == 404 ? .tokenRefused(error) : .unreachable(error)
        }
    }

    /// The log line for a refused token (the hub does not start, or, found later, keeps storing alerts).
    static func refusal(_ error: TelegramError) -> String {
        "Telegram refused the bot token (\(error)); check telegram.token (the token @BotFather gave)"
    }
}

/// After a start without Telegram, retries `getMe` with backoff until Telegram answers, then says so. Meanwhile the
/// hub stores alerts and serves agents; the notifier and the poller retry their own calls with backoff. It ends once
/// Telegram answers, and runs with `successTerminationBehavior: .ignore` so that ending stops nothing else.
struct TelegramReconnector: Service, CustomStringConvertible {
    var description: String { "TelegramReconnector" }

    let telegram: any TelegramAPI
    let logger: Logger
    /// The longest wait between two attempts.
    var maximumDelay: Duration = .seconds(60)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var failures = 0
            while !Task.isCancelled {
                switch await TelegramGreeting.greet(telegram) {
                case .connected(let bot):
                    logger.info("Telegram reachable again; connected", metadata: ["bot": "@\(bot.username ?? bot.firstName)"])
                    return
                case .tokenRefused(let error):
                    logger.critical("\(TelegramGreeting.refusal(error)); alerts are stored and listed by `bothub alerts`")
                    return
                case .unreachable(let error):
                    failures += 1
                    if Task.isCancelled { return }
                    logger.warning("Telegram still unreachable; retrying", metadata: ["error": "\(error)", "attempt": "\(failures)"])
                    try? await Task.sleep(for: min(maximumDelay, .seconds(1 << min(failures, 6))))
                }
            }
        }
    }
}
