import Foundation
import Logging
import Shared
import Synchronization
import Testing
import VigilTestSupport

@testable import SentryAgent

/// Log lines kept in memory, for asserting what an operator would read.
final class RecordedLog: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    var logger: Logger {
        Logger(label: "recorded") { _ in Handler(log: self) }
    }

    fileprivate func append(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    private struct Handler: LogHandler {
        let log: RecordedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            log.append("\(event.level) \(event.message)")
        }
    }
}

@Suite("A hub that refuses the agent's key", .awaitsTeardown)
struct HubRefusalTests {
    @Test("a 401 from the hub tells the operator to check hub.key or run `bothub agent add`, and the alert is kept")
    func refusedSeal() async throws {
        let hub = FakeHub()
        let port = try FreePort.loopback()
        try await hub.start(port: port)
        atTestEnd { [hub] in await hub.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-refusal-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = RecordedLog()
        let delivery = OutboxDelivery(
            outbox: try AlertOutbox(directory: directory, logger: log.logger),
            client: SealedClient(endpoint: HTTPEndpoint(host: "127.0.0.1", port: port), agentID: "web-1", key: AgentKey.generate()),
            logger: log.logger)
        #expect(await delivery.deliver(AlertOutboxTests.alert(1)) == .retry)
        let line = try #require(log.all.first { $0.contains("HTTP 401") }, "\(log.all)")
        #expect(line.hasPrefix("error "))
        #expect(line.contains("hub.key"))
        #expect(line.contains("bothub agent add"))
    }
}
