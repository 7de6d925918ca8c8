import FoundationEssentials
import Logging
import Synchronization

/// Counters and gauges with labels, rendered in the Prometheus text format for `GET /metrics`.
///
/// A small lock-protected table rather than a metrics framework: two programs, a dozen series, no dependency.
public final class MetricsRegistry: Sendable {
    private let series = Mutex<[String: Family]>([:])

    private struct Family {
        var help: String
        var type: String
        var values: [String: Double] = [:]
    }

    public init() {}

    /// Adds `amount` to a counter.
    public func increment(_ name: String, help: String, labels: [String: String] = [:], by amount: Double = 1) {
        update(name, help: help, type: "counter", labels: labels) { $0 += amount }
    }

    /// Sets a gauge.
    public func set(_ name: String, help: String, labels: [String: String] = [:], to value: Double) {
        update(name, help: help, type: "gauge", labels: labels) { $0 = value }
    }

    private func update(_ name: String, help: String, type: String, labels: [String: String], _ change: (inout Double) -> Void) {
        let key = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(Self.escape($0.value))\"" }.joined(separator: ",")
        series.withLock { series in
            var family = series[name] ?? Family(help: help, type: type)
            change(&family.values[key, default: 0])
            series[name] = family
        }
    }

    /// The current value of one series (for tests).
    public func value(_ name: String, labels: [String: String] = [:]) -> Double? {
        let key = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\(Self.escape($0.value))\"" }.joined(separator: ",")
        return series.withLock { $0[name]?.values[key] }
    }

    /// Prometheus text exposition format 0.0.4.
    public func render() -> String {
        series.withLock { series in
            var text = ""
            for name in series.keys.sorted() {
                guard let family = series[name] else { continue }
                text += "# HELP \(name) \(family.help)\n# TYPE \(name) \(family.type)\n"
                for key in family.values.keys.sorted() {
                    let value = family.values[key] ?? 0
                    let number = value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
                    text += key.isEmpty ? "\(name) \(number)\n" : "\(name){\(key)} \(number)\n"
                }
            }
            return text
        }
    }

    private static func escape(_ value: String) -> String {
        value.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("\n", with: "\\n")
    }
}

/// Where `/metrics` is served: off unless enabled, and on loopback unless told otherwise.
public struct MetricsConfiguration: Sendable, Equatable {
    public var enabled = false
    public var host = "127.0.0.1"
    public var port: UInt16

    /// Connections the metrics server holds at most; counted in the open-file budget when metrics are enabled.
    public static let maxConnections = 64

    /// Descriptors the metrics server may hold for connections.
    public var connectionsNeeded: Int { enabled ? Self.maxConnections : 0 }

    public init(enabled: Bool = false, host: String = "127.0.0.1", port: UInt16) {
        self.enabled = enabled
        self.host = host
        self.port = port
    }

    /// The server that answers `GET /metrics` from `registry`.
    public func makeServer(registry: MetricsRegistry, logger: Logging.Logger) -> HTTPServer {
        var router = HTTPRouter()
        router.add("GET", "/metrics") { _ in
            HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Type", "text/plain; version=0.0.4")]), body: Array(registry.render().utf8))
        }
        return HTTPServer(
            configuration: HTTPServerConfiguration(host: host, port: port, maxConnections: Self.maxConnections), handler: router, logger: logger)
    }
}
