import Foundation
import Logging
import Shared

/// A Telegram Bot API server for tests, on our own `HTTPServer` at 127.0.0.1 (port 0).
///
/// Point the hub's `telegram.api_url` at `baseURL` and use `token`. The fake routes `/bot<token>/<method>`, checks
/// every call against the Bot API spec subset in `Fixtures/` (violations answer 400 and are kept in
/// `specViolations`), and implements the six methods the hub uses with Telegram's semantics and exact error texts.
/// Tests act as the people in the chats (`pressButton`, `sendText`), read what the chats show (`messages(in:)`), and
/// inject faults (`failNext`, `blockChat`, `migrateChat`, `goOffline`, rate limits).
///
/// Stricter than Telegram on purpose: unknown parameters and fields, JSON values of the wrong type, and a stray `&`
/// in HTML are refused (Telegram ignores or tolerates them). Not emulated: other methods, webhooks (beyond the 409
/// while one is set), media, inline messages and `rich_message`, Markdown parse modes (stored unparsed), the global
/// 30 messages/s limit and edit limits, Telegram's exact URL checks in `<a href>`, the 24-hour retention of updates.
/// A poll whose client went away keeps waiting until its timeout or a newer poll, as on Telegram.
actor FakeTelegramServer {
    nonisolated let configuration: FakeTelegramConfiguration
    nonisolated let spec: TelegramSpec
    /// The bot token the fake accepts.
    nonisolated var token: String { configuration.token }
    /// `http://127.0.0.1:<port>`, for `telegram.api_url`; set once `start` returns.
    private(set) var baseURL = ""
    private(set) var port: UInt16 = 0

    private var serving: Task<Void, any Error>?
    private var logHandle: FileHandle?
    private var clockOffset: TimeInterval = 0

    var chats: [Int64: FakeTelegramChat] = [:]
    /// Documents uploaded with `sendDocument`, in order.
    var documents: [FakeTelegramDocument] = []
    var users: [Int64: FakeTelegramUser] = [:]
    var updates: FakeTelegramUpdateQueue
    var pendingPoll: FakeTelegramPendingPoll?
    var lastPollID = 0
    var callbackQueries: [String: FakeTelegramCallbackQuery] = [:]
    var lastCallbackQueryNumber: Int64 = 0
    var faults: [String: [FakeTelegramFailure]] = [:]
    var rateLimiter: FakeTelegramRateLimiter
    var enforcesRateLimits: Bool
    var hasWebhook: Bool

    /// Every call received, in the order they were answered.
    private(set) var calls: [FakeTelegramCall] = []
    /// Calls (and replies of the fake's own) that broke the spec; a test suite should end with none.
    private(set) var specViolations: [FakeTelegramSpecViolation] = []
    /// Every accepted `answerCallbackQuery`, in order.
    var answeredCallbacks: [FakeTelegramCallbackAnswer] = []

    private init(configuration: FakeTelegramConfiguration, spec: TelegramSpec) {
        self.configuration = configuration
        self.spec = spec
        self.updates = FakeTelegramUpdateQueue(firstID: configuration.firstUpdateID)
        self.rateLimiter = FakeTelegramRateLimiter(
            privateChatInterval: configuration.privateChatInterval,
            groupMessagesPerMinute: configuration.groupMessagesPerMinute,
            tolerance: configuration.rateTolerance
        )
        self.enforcesRateLimits = configuration.enforcesRateLimits
        self.hasWebhook = configuration.hasWebhook
        for id in configuration.chats { chats[id] = FakeTelegramChat(id: id) }
        for user in configuration.users { users[user.id] = user }
    }

    /// Starts a fake listening on 127.0.0.1 with a free port.
    static func start(_ configuration: FakeTelegramConfiguration = FakeTelegramConfiguration()) async throws -> FakeTelegramServer {
        let server = FakeTelegramServer(configuration: configuration, spec: try TelegramSpec.subset.get())
        try await server.listen()
        return server
    }

    /// Runs `body` with a started fake and stops it afterwards, also when `body` throws.
    static func withServer<T: Sendable>(
        _ configuration: FakeTelegramConfiguration = FakeTelegramConfiguration(),
        _ body: (FakeTelegramServer) async throws -> T
    ) async throws -> T {
        let server = try await start(configuration)
        do {
            let value = try await body(server)
            await server.stop()
            return value
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Stops listening and releases a waiting long poll.
    func stop() async {
        await goOffline()
        try? logHandle?.close()
        logHandle = nil
    }

    /// Stops answering, as if the network or Telegram were down: connections are closed and new ones refused until
    /// `goOnline()`. Chats, updates and records are kept.
    func goOffline() async {
        finishPendingPoll(.cancelled)
        serving?.cancel()
        _ = await serving?.result
        serving = nil
    }

    /// Listens again on the same port after `goOffline()`.
    func goOnline() async throws {
        guard serving == nil else { return }
        try await serve(on: port)
    }

    /// The fake's clock: the wall clock, moved forward by `advanceClock(by:)`.
    func now() -> Date {
        Date().addingTimeInterval(clockOffset)
    }

    /// Moves the fake's clock (callback query age, message dates, rate windows) without waiting.
    func advanceClock(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        clockOffset += TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }

    private func listen() async throws {
        if let url = configuration.callLogURL {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
            logHandle = try FileHandle(forWritingTo: url)
        }
        try await serve(on: 0)
    }

    private func serve(on requestedPort: UInt16) async throws {
        var logger = Logger(label: "fake-telegram")
        logger.logLevel = .warning
        let http = HTTPServer(
            configuration: HTTPServerConfiguration(
                host: "127.0.0.1", port: requestedPort, maxBodyBytes: 1 << 20, idleTimeout: .seconds(120)),
            handler: FakeTelegramHandler(server: self),
            logger: logger
        )
        let task = Task { try await http.serve() }
        do {
            port = try await http.listeningPort()
        } catch {
            task.cancel()
            throw error
        }
        serving = task
        baseURL = "http://127.0.0.1:\(port)"
    }

    func record(_ call: FakeTelegramCall) {
        calls.append(call)
        guard let logHandle else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if let line = try? encoder.encode(call) {
            try? logHandle.write(contentsOf: line + Data("\n".utf8))
        }
    }

    func recordViolations(_ problems: [String], method: String) {
        specViolations += problems.map { FakeTelegramSpecViolation(method: method, problem: $0) }
    }
}
