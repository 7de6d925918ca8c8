import Foundation
import Logging
import Shared

/// The few Bot API methods a hub calls, answered at once; records when each `sendMessage` arrives. Loopback only.
actor TelegramStub: HTTPHandler {
    static let token = "7000000001:AAStubTokenForVigilBenchmarks_abcdefghij"
    private var arrivals: [Date] = []
    private var nextMessageID: Int64 = 1
    private var server: HTTPServer?
    private var task: Task<Void, any Error>?

    func start() async throws -> String {
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), handler: self, logger: Logger(label: "stub"))
        self.server = server
        task = Task { try await server.serve() }
        return "http://127.0.0.1:\(try await server.listeningPort())"
    }

    func stop() {
        task?.cancel()
    }

    /// Arrival times of `sendMessage` calls so far.
    var sendTimes: [Date] { arrivals }

    nonisolated func handle(_ request: HTTPRequest) async -> HTTPResponse {
        let method = request.path.split(separator: "/").last.map(String.init) ?? ""
        switch method {
        case "getMe":
            return Self.ok(#"{"id":7000000001,"is_bot":true,"first_name":"Stub","username":"stub_bot"}"#)
        case "deleteWebhook", "answerCallbackQuery":
            return Self.ok("true")
        case "getUpdates":
            // Hold the long poll briefly so the hub does not spin.
            try? await Task.sleep(for: .seconds(1))
            return Self.ok("[]")
        case "sendMessage", "editMessageText":
            let id = await recordSend()
            return Self.ok(#"{"message_id":\#(id),"date":0,"chat":{"id":1,"type":"private"}}"#)
        default:
            return HTTPResponse(status: .notFound, body: Array(#"{"ok":false,"error_code":404,"description":"Not Found"}"#.utf8))
        }
    }

    private func recordSend() -> Int64 {
        arrivals.append(Date())
        nextMessageID += 1
        return nextMessageID
    }

    private static func ok(_ result: String) -> HTTPResponse {
        HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Type", "application/json")]), body: Array(#"{"ok":true,"result":\#(result)}"#.utf8))
    }
}
