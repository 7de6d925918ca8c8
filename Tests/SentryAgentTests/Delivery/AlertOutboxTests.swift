import Foundation
import Logging
import Shared
import Synchronization
import Testing
import VigilTestSupport

@testable import SentryAgent

/// The outbox loses nothing: not across a hub outage, not across a crash, and not more than the damaged bytes of a
/// corrupted file.
@Suite("Agent outbox", .serialized, .system)
struct AlertOutboxTests {
    static func temporaryDirectory() throws -> String {
        try TemporaryDirectory.forTestRun("vigil-outbox")
    }

    static func alert(_ index: Int, severity: Severity = .warning) -> Alert {
        Alert(
            agent: "web-1",
            hostname: "web-1",
            kind: .http404Burst,
            severity: severity,
            observedAt: Date(timeIntervalSince1970: 1_800_000_000 + Double(index)),
            subject: .http404(
                HTTP404Evidence(ip: "198.51.100.\(index % 250)", count: 20, distinctPaths: 20, samplePaths: ["/.env"], windowSeconds: 60)),
            actions: [.ignore, .blockIP1h]
        )
    }

    @Test("alerts submitted while the hub is down are all delivered once it is up, each once, and the recovery logged once")
    func hubOutage() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outbox = try AlertOutbox(directory: directory, logger: Logger(label: "test"))
        let hub = FakeHub()
        let port = try FreePort.loopback()
        let submitted = (0..<200).map { Self.alert($0) }
        for alert in submitted { await outbox.submit(alert) }

        // The delivery's log, as JSON lines: the recovery must be said once, not per alert.
        let logged = Mutex<[String]>([])
        let handler = JSONLogHandler(label: "test", level: .info) { line in
            let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any]
            logged.withLock { $0.append(object?["message"] as? String ?? "") }
        }
        var delivery = OutboxDelivery(
            outbox: outbox, client: SealedClient(endpoint: HTTPEndpoint(host: "127.0.0.1", port: port), agentID: "web-1", key: hub.key),
            logger: Logger(label: "test") { _ in handler })
        delivery.initialBackoff = .milliseconds(20)
        delivery.maxBackoff = .milliseconds(200)
        let service = delivery
        let running = Task { try await service.run() }
        defer { running.cancel() }
        // The hub is down: attempts fail and are retried, and nothing is lost meanwhile.
        try await waitUntil { await service.retries.value >= 2 }
        #expect(await hub.received.isEmpty)
        #expect(await outbox.depth == submitted.count)

        try await hub.start(port: port)
        atTestEnd { [hub] in await hub.stop() }
        try await waitUntil(timeout: .seconds(60)) { await outbox.depth == 0 }
        let received = await hub.received
        #expect(received.count == submitted.count, "duplicates or losses: \(received.count)")
        #expect(Set(received) == Set(submitted.map(\.id)))
        #expect(received == submitted.map(\.id), "delivered out of order")
        let recovery = "hub reachable again; \(submitted.count) queued alerts delivered"
        try await waitUntil { logged.withLock { $0.contains(recovery) } }
        #expect(logged.withLock { $0.filter { $0.hasPrefix("hub reachable again") } } == [recovery])
    }

    @Test("an unsealed 422 on the path does not delete the alert: it is retried and the hub receives it exactly once")
    func unsealedRefusalIsRetried() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outbox = try AlertOutbox(directory: directory, logger: Logger(label: "test"))
        let hub = FakeHub()
        let port = try FreePort.loopback()
        let alert = Self.alert(1)
        await outbox.submit(alert)

        // Something on the path (a proxy with a small body limit, a spoofed host) answers 422 without the hub's seal.
        let impostor = RefusingServer(status: .unprocessable)
        let impostorTask = try await impostor.start(port: port)
        var delivery = OutboxDelivery(
            outbox: outbox, client: SealedClient(endpoint: HTTPEndpoint(host: "127.0.0.1", port: port), agentID: "web-1", key: hub.key),
            logger: Logger(label: "test"))
        delivery.initialBackoff = .milliseconds(20)
        delivery.maxBackoff = .milliseconds(100)
        let service = delivery
        let running = Task { try await service.run() }
        defer { running.cancel() }
        try await waitUntil { await impostor.refused >= 3 }
        #expect(await outbox.depth == 1, "an unsealed 422 removed the alert")
        impostorTask.cancel()
        _ = await impostorTask.result

        try await hub.start(port: port)
        atTestEnd { [hub] in await hub.stop() }
        try await waitUntil { await outbox.depth == 0 }
        #expect(await hub.received == [alert.id])
    }

    @Test("1,000 queued alerts survive an agent that dies without shutting down")
    func crashWithQueuedAlerts() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let submitted = (0..<1000).map { Self.alert($0) }
        do {
            // Every submit is fsynced before it returns, so abandoning the outbox here leaves the same files a SIGKILL
            // would.
            let outbox = try AlertOutbox(directory: directory, logger: Logger(label: "test"))
            for alert in submitted { await outbox.submit(alert) }
            await outbox.acknowledge(submitted[0].id)
        }
        let restarted = try AlertOutbox(directory: directory, logger: Logger(label: "test"))
        #expect(await restarted.depth == 999)
        #expect(restarted.loadReport == AlertOutbox.LoadReport(recovered: 999, damagedRegions: 0, damagedBytes: 0))
        #expect(await restarted.oldest()?.id == submitted[1].id)
    }

    @Test("a corrupted record and a torn tail lose only themselves; the agent starts and reports the damage")
    func damagedFile() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let submitted = (0..<100).map { Self.alert($0) }
        do {
            let outbox = try AlertOutbox(directory: directory, logger: Logger(label: "test"))
            for alert in submitted { await outbox.submit(alert) }
        }
        let path = "\(directory)/outbox.log"
        var bytes = try #require(FileManager.default.contents(atPath: path).map(Array.init))
        let recordSize = bytes.count / 100
        bytes[50 * recordSize + 40] ^= 0xFF  // a flipped byte inside record 50's payload
        bytes.removeLast(recordSize / 2)  // the last record torn in half
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let restarted = try AlertOutbox(directory: directory, logger: Logger(label: "test"))
        #expect(await restarted.depth == 98)
        #expect(restarted.loadReport.recovered == 98)
        #expect(restarted.loadReport.damagedRegions == 2)
        var left: [UUID] = []
        while let next = await restarted.oldest() {
            left.append(next.id)
            await restarted.acknowledge(next.id)
        }
        #expect(left == submitted.enumerated().filter { $0.offset != 50 && $0.offset != 99 }.map(\.element.id))
    }

    @Test("garbage files are survived: the agent starts with an empty queue and counts the damage")
    func garbageFile() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data((0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: "\(directory)/outbox.log"))
        let outbox = try AlertOutbox(directory: directory, logger: Logger(label: "test"))
        #expect(await outbox.depth == 0)
        #expect(outbox.loadReport.damagedBytes == 5000)
        await outbox.submit(Self.alert(1))
        #expect(try AlertOutbox(directory: directory, logger: Logger(label: "test")).loadReport == .init(recovered: 1))
    }

    @Test("past its bound the queue drops the oldest info alerts first, and counts them")
    func boundDropsInfoFirst() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outbox = try AlertOutbox(directory: directory, limits: .init(maxAlerts: 10, maxBytes: 1 << 20), logger: Logger(label: "test"))
        let warnings = (0..<6).map { Self.alert($0, severity: .warning) }
        let infos = (6..<12).map { Self.alert($0, severity: .info) }
        for alert in warnings.prefix(3) + infos + warnings.suffix(3) { await outbox.submit(alert) }
        #expect(await outbox.depth == 10)
        #expect(await outbox.dropped == 2)
        var kept: [UUID] = []
        while let next = await outbox.oldest() {
            kept.append(next.id)
            await outbox.acknowledge(next.id)
        }
        #expect(Set(warnings.map(\.id)).isSubset(of: Set(kept)))
        #expect(!kept.contains(infos[0].id) && !kept.contains(infos[1].id))
    }

    @Test("a flood of warnings never pushes out a critical: warnings go first, oldest first, counted per severity")
    func warningFloodKeepsCriticals() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outbox = try AlertOutbox(directory: directory, limits: .init(maxAlerts: 10, maxBytes: 1 << 20), logger: Logger(label: "test"))
        // Given a queue full of warnings,
        let warnings = (0..<10).map { Self.alert($0, severity: .warning) }
        for alert in warnings { await outbox.submit(alert) }
        // when criticals arrive and then more warnings overflow it,
        let criticals = (10..<16).map { Self.alert($0, severity: .critical) }
        for alert in criticals { await outbox.submit(alert) }
        let lateWarnings = (16..<30).map { Self.alert($0, severity: .warning) }
        for alert in lateWarnings { await outbox.submit(alert) }
        // then every critical is kept and the newest warnings fill the rest.
        #expect(await outbox.depth == 10)
        #expect(await outbox.droppedBySeverity == DroppedAlerts(info: 0, warning: 20, critical: 0))
        var kept: [UUID] = []
        while let next = await outbox.oldest() {
            kept.append(next.id)
            await outbox.acknowledge(next.id)
        }
        #expect(Set(criticals.map(\.id)).isSubset(of: Set(kept)))
        #expect(Set(kept) == Set(criticals.map(\.id) + lateWarnings.suffix(4).map(\.id)))
    }

    @Test("criticals are dropped only once nothing lower is left, and the survivors outlive a restart")
    func criticalsDroppedLast() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let limits = AlertOutbox.Limits(maxAlerts: 4, maxBytes: 1 << 20)
        let outbox = try AlertOutbox(directory: directory, limits: limits, logger: Logger(label: "test"))
        let info = Self.alert(0, severity: .info)
        let warning = Self.alert(1, severity: .warning)
        let criticals = (2..<7).map { Self.alert($0, severity: .critical) }
        for alert in [info, warning] + criticals { await outbox.submit(alert) }
        #expect(await outbox.droppedBySeverity == DroppedAlerts(info: 1, warning: 1, critical: 1))
        let restarted = try AlertOutbox(directory: directory, limits: limits, logger: Logger(label: "test"))
        var kept: [UUID] = []
        while let next = await restarted.oldest() {
            kept.append(next.id)
            await restarted.acknowledge(next.id)
        }
        #expect(kept == criticals.suffix(4).map(\.id))
    }

    @Test("acknowledged alerts are compacted away, so the files stay small")
    func compaction() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outbox = try AlertOutbox(directory: directory, logger: Logger(label: "test"))
        for index in 0..<1200 {
            let alert = Self.alert(index)
            await outbox.submit(alert)
            await outbox.acknowledge(alert.id)
        }
        let size = try FileManager.default.attributesOfItem(atPath: "\(directory)/outbox.log")[.size] as? Int ?? .max
        #expect(size < 200 * 1024)
        #expect(try AlertOutbox(directory: directory, logger: Logger(label: "test")).loadReport.recovered == 0)
    }

    @Test("the backoff doubles from the first delay, is jittered, and never exceeds the cap")
    func backoff() throws {
        var delivery = OutboxDelivery(
            outbox: try AlertOutbox(directory: try Self.temporaryDirectory(), logger: Logger(label: "test")),
            client: SealedClient(endpoint: HTTPEndpoint(host: "127.0.0.1", port: 9), agentID: "a", key: .generate()),
            logger: Logger(label: "test")
        )
        delivery.initialBackoff = .seconds(1)
        for failures in 1...30 {
            let delay = delivery.backoff(after: failures)
            let base = min(Duration.seconds(60), .seconds(1) * (1 << min(failures - 1, 16)))
            #expect(delay >= base / 2 && delay <= base)
        }
    }
}
