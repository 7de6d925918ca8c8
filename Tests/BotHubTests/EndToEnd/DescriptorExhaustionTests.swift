import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

#if canImport(Glibc)
    import Glibc
#endif

extension HubProcessTests {
    /// Both real programs under the common default open-file limit (1,024, below the default `max_connections`),
    /// flooded with 1,100 idle TCP connections: each must stay up and still serve a sealed request.
    @Suite("Descriptor exhaustion", .serialized)
    struct DescriptorExhaustionTests {
        static let floodSize = 1100
        static var prlimit: String? {
            ["/usr/bin/prlimit", "/bin/prlimit"].first { FileManager.default.isExecutableFile(atPath: $0) }
        }
        static var canRun: Bool {
            prlimit != nil && FileManager.default.isExecutableFile(atPath: FullPipelineTests.agentBinary)
                && FileManager.default.isExecutableFile(atPath: HubRestartTests.binary)
        }

        @Test(
            "sentry-agent under a 1,024 open-file limit survives 1,100 idle connections and still runs a sealed command",
            .enabled(if: canRun, "needs prlimit and the sentry-agent and bothub binaries (swift build --build-tests)")
        )
        func agentSurvivesFlood() async throws {
            let state = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-fd-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: state) }
            let key = AgentKey.generate()
            let port = try FreePort.loopback()
            let config = """
                agent: {id: web-1, hostname: web-1, state_dir: \(state)/agent}
                hub: {url: 'http://127.0.0.1:9', key: '\(key.base64)'}
                listen: {host: 127.0.0.1, port: \(port)}
                detectors:
                  ssh: {sessions: false, brute_force: false}
                  cpu: {enabled: false}
                  listeners: {enabled: false}
                  identity: {enabled: false}
                  http404: {enabled: false}
                """
            try config.write(toFile: state + "/agent.yml", atomically: true, encoding: .utf8)
            let agent = try await LimitedChild.start(
                FullPipelineTests.agentBinary, ["run", "--config", state + "/agent.yml", "--dry-run"], log: state + "/agent.log", port: port)
            defer { agent.stop() }

            let flood = try IdleConnectionFlood(count: Self.floodSize, port: port)
            defer { flood.close() }
            // The command queues behind the whole flood in the listen backlog, so it is accepted after all of it.
            let client = SealedClient(endpoint: HTTPEndpoint(host: "127.0.0.1", port: port), agentID: "web-1", key: key)
            let command = ResponseCommand(
                alertId: nil, action: .blockIP(ip: "203.0.113.9", durationSeconds: 60), requestedBy: Operator(telegramUserId: 1, name: "test"),
                issuedAt: Date(), expiresAt: Date().addingTimeInterval(120))
            let reply = try await client.post("/response", body: try WireCoding.encode(command))
            let result = try WireCoding.decode(ResponseResult.self, from: reply)
            #expect(result.commandId == command.id)
            #expect(result.outcome == .done)
            #expect(agent.isRunning, "the agent died: \(agent.logTail)")
            #expect(agent.logTail.contains("serving fewer connections"), "the lowered connection cap was not reported")
        }

        @Test(
            "bothub under a 1,024 open-file limit survives 1,100 idle connections and still stores a sealed alert",
            .enabled(if: canRun, "needs prlimit and the sentry-agent and bothub binaries (swift build --build-tests)")
        )
        func hubSurvivesFlood() async throws {
            try await FakeTelegramServer.withServer { telegram in
                let key = AgentKey.generate()
                let entry = HubConfiguration.AgentEntry(id: "web-1", responseEndpoint: HTTPEndpoint(host: "127.0.0.1", port: 9), key: key)
                let port = try FreePort.loopback()
                let harness = try await HubHarness.make(telegram: telegram, agents: [entry], port: port)
                defer { harness.cleanUp() }
                let configPath = harness.stateDirectory + "/hub.yml"
                try harness.yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
                let hub = try await LimitedChild.start(
                    HubRestartTests.binary, ["run", "--config", configPath, "--translations", repositoryPath("translations")],
                    log: harness.stateDirectory + "/hub.log", port: port)
                defer { hub.stop() }

                let flood = try IdleConnectionFlood(count: Self.floodSize, port: port)
                defer { flood.close() }
                let alert = HubEndToEndTests.sshAlert()
                let client = SealedClient(endpoint: HTTPEndpoint(host: "127.0.0.1", port: port), agentID: "web-1", key: key)
                let receipt = try WireCoding.decode(AlertReceipt.self, from: try await client.post("/alert", body: try WireCoding.encode(alert)))
                #expect(receipt.alertId == alert.id)
                #expect(hub.isRunning, "the hub died: \(hub.logTail)")
            }
        }
    }
}

/// A program run under `prlimit --nofile=1024:1024`, with its log in a file.
struct LimitedChild {
    let process: Process
    let log: String

    static func start(_ binary: String, _ arguments: [String], log: String, port: UInt16) async throws -> LimitedChild {
        let prlimit = try require(HubProcessTests.DescriptorExhaustionTests.prlimit, "prlimit is not installed")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: prlimit)
        process.arguments = ["--nofile=1024:1024", binary] + arguments + ["--log-level", "debug"]
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try process.run()
        let child = LimitedChild(process: process, log: log)
        let endpoint = HTTPEndpoint(host: "127.0.0.1", port: port)
        for _ in 0..<400 {
            // Any HTTP answer (404 for an unknown path) means the listener is up.
            if (try? await HTTPClient(timeout: .seconds(1)).send(HTTPRequest(method: "GET", target: "/probe"), to: endpoint)) != nil { return child }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        child.stop()
        throw HarnessError(description: "\(binary) did not start listening on \(port): \(child.logTail)")
    }

    var isRunning: Bool { process.isRunning }

    /// The last 4 KiB of the log, for failure messages.
    var logTail: String {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return String(text.suffix(4096))
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

/// Idle TCP connections to a loopback port, spread over source addresses 127.0.0.2… so that no one address passes
/// the per-address cap (that cap is tested on its own): this is the whole pool being taken, not one greedy host.
final class IdleConnectionFlood {
    private var descriptors: [Int32] = []
    static let perSource = 25

    init(count: Int, port: UInt16) throws {
        Self.raiseOwnLimit(to: count * 2 + 1024)
        for index in 0..<count {
            let source = "127.0.0.\(2 + index / Self.perSource)"
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { throw HarnessError(description: "socket: errno \(errno) after \(index) connections") }
            descriptors.append(descriptor)
            var local = Self.address(source, port: 0)
            var remote = Self.address("127.0.0.1", port: port)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { throw HarnessError(description: "bind \(source): errno \(errno)") }
            let connected = withUnsafePointer(to: &remote) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw HarnessError(description: "connect #\(index) from \(source): errno \(errno)") }
        }
    }

    func close() {
        for descriptor in descriptors { _ = Glibc.close(descriptor) }
        descriptors = []
    }

    private static func address(_ text: String, port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, text, &address.sin_addr)
        return address
    }

    /// The test process holds one descriptor per connection too: lift its own soft limit (up to its hard limit).
    private static func raiseOwnLimit(to wanted: Int) {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(wanted) else { return }
        limit.rlim_cur = min(rlim_t(wanted), limit.rlim_max)
        _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
    }
}
