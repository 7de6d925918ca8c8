import Foundation
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// A `bothub` process started for a benchmark, with its own state directory and configuration.
struct HubProcess {
    let process: SpawnedChild
    let endpoint: HTTPEndpoint
    let stateDirectory: String

    /// `bothub`, built beside this benchmark binary.
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("bothub").path
    }

    /// Starts a hub for `agents` on a free loopback port; `telegram` is `(api_url, token, chat id)` or nil for none.
    static func start(agents: [(id: String, key: AgentKey)], telegram: (url: String, token: String, chat: Int64)?, translations: String) async throws
        -> HubProcess
    {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let port = try freePort()
        var yaml = "hub:\n  state_dir: \(state)\nlisten:\n  host: 127.0.0.1\n  port: \(port)\n  max_connections: 4096\n"
        if let telegram {
            yaml += "telegram:\n  token: \"\(telegram.token)\"\n  api_url: \(telegram.url)\n  chats:\n    - id: \(telegram.chat)\n"
        } else {
            yaml += "telegram: {}\n"
        }
        yaml += "agents:\n" + agents.map { "  - {id: \($0.id), url: 'http://127.0.0.1:9', key: \"\($0.key.base64)\"}\n" }.joined()
        try yaml.write(toFile: "\(state)/hub.yml", atomically: true, encoding: .utf8)

        let process = try ProgramSpawner.spawn(
            [binary, "run", "--config", "\(state)/hub.yml", "--translations", translations, "--log-level", "error"], standardOutput: .inherit,
            standardError: .inherit)
        let endpoint = HTTPEndpoint(host: "127.0.0.1", port: port)
        for _ in 0..<400 {
            if let reply = try? await HTTPClient(timeout: .seconds(1)).send(HTTPRequest(method: "GET", target: "/healthz"), to: endpoint),
                reply.status == 200
            {
                return HubProcess(process: process, endpoint: endpoint, stateDirectory: state)
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        _ = process.stop(grace: .seconds(5))
        throw BenchError("bothub did not start (is it built? \(binary))")
    }

    func stop() {
        _ = process.stop(grace: .seconds(30))
        try? FileManager.default.removeItem(atPath: stateDirectory)
    }

    static func freePort() throws -> UInt16 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else { throw BenchError("no free port") }
        return UInt16(bigEndian: address.sin_port)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Percentiles of a sample of durations, in milliseconds.
struct LatencySummary {
    let sorted: [Double]

    init(_ samples: [Duration]) {
        sorted = samples.map { Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15 }.sorted()
    }

    func percentile(_ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }

    var text: String { String(format: "p50 %.1f ms, p99 %.1f ms, max %.1f ms", percentile(0.5), percentile(0.99), sorted.last ?? .nan) }
}
