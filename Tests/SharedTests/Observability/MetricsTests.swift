import Foundation
import Logging
import Testing

@testable import Shared

@Suite("Metrics")
struct MetricsTests {
    @Test("counters and gauges render in the Prometheus text format, labels escaped")
    func rendering() {
        let registry = MetricsRegistry()
        registry.increment("vigil_alerts_total", help: "Alerts.", labels: ["kind": "ssh_session", "severity": "info"])
        registry.increment("vigil_alerts_total", help: "Alerts.", labels: ["kind": "ssh_session", "severity": "info"], by: 2)
        registry.set("vigil_queue_depth", help: "Depth.", to: 7)
        registry.increment("vigil_odd_total", help: "Odd.", labels: ["path": "a\"b\\c"])
        #expect(
            registry.render() == """
                # HELP vigil_alerts_total Alerts.
                # TYPE vigil_alerts_total counter
                vigil_alerts_total{kind="ssh_session",severity="info"} 3
                # HELP vigil_odd_total Odd.
                # TYPE vigil_odd_total counter
                vigil_odd_total{path="a\\"b\\\\c"} 1
                # HELP vigil_queue_depth Depth.
                # TYPE vigil_queue_depth gauge
                vigil_queue_depth 7

                """)
    }

    @Test("GET /metrics is served on loopback, and a non-loopback metrics address is a configuration error")
    func served() async throws {
        let registry = MetricsRegistry()
        registry.increment("vigil_test_total", help: "Test.")
        let server = MetricsConfiguration(enabled: true, port: 0).makeServer(registry: registry, logger: Logger(label: "metrics"))
        let task = Task { try await server.serve() }
        defer { task.cancel() }
        let port = try await server.listeningPort()
        let reply = try await HTTPClient().send(HTTPRequest(method: "GET", target: "/metrics"), to: HTTPEndpoint(host: "127.0.0.1", port: port))
        #expect(reply.status == 200)
        #expect(String(decoding: reply.body, as: UTF8.self).contains("vigil_test_total 1"))

        // The `metrics:` reader both programs use (agent.yml and hub.yml).
        let log = ProblemLog()
        _ = ConfigReader(node: try YAMLNode.parse("enabled: true\nhost: 0.0.0.0\n"), path: "metrics", log: log).metrics(defaultPort: 9101)
        #expect(log.problems == [ConfigProblem(field: "metrics.host", reason: "metrics are served on loopback only (127.0.0.1 or ::1)")])
    }
}
