import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

#if canImport(Glibc)
    import Glibc
#endif

/// `bothub` copied alone into an empty directory, as README step 1 installs it, and run from `/`.
struct InstalledHub {
    let directory: String
    let binary: String
    let workingDirectory = "/"

    static func make() throws -> InstalledHub {
        let directory = try TemporaryDirectory.forTestRun("vigil-installed")
        let binary = "\(directory)/bothub"
        try FileManager.default.copyItem(atPath: HubProcessTests.HubRestartTests.binary, toPath: binary)
        return InstalledHub(directory: directory, binary: binary)
    }

    /// Runs the binary to completion from `/` (at most 30 s); returns its exit status and its output (stdout and stderr).
    func run(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let (binary, workingDirectory) = (binary, workingDirectory)
        return try await offPool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
            process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            // A command that should have exited but did not (a hub that started after all) fails the test, not the suite.
            DispatchQueue.global().asyncAfter(deadline: .now() + 30) { if process.isRunning { process.terminate() } }
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}

extension HubProcessTests {
    @Suite("The installed hub", .serialized)
    struct InstalledHubTests {
        static var binaryBuilt: Bool { FileManager.default.isExecutableFile(atPath: HubRestartTests.binary) }

        @Test(
            "copied alone and run from /, bothub checks its config and relays an alert with its built-in catalogs",
            .enabled(if: binaryBuilt, "needs the bothub binary (swift build --build-tests)")
        )
        func runsFromRoot() async throws {
            let installed = try InstalledHub.make()
            defer { installed.remove() }
            let agent = FakeAgent()
            try await agent.start()
            atTestEnd { [agent] in await agent.stop() }
            try await FakeTelegramServer.withServer { telegram in
                let port = try FreePort.loopback()
                let harness = try await HubHarness.make(telegram: telegram, agents: [await agent.entry], port: port)
                defer { harness.cleanUp() }
                let config = harness.stateDirectory + "/hub.yml"
                try harness.yaml.write(toFile: config, atomically: true, encoding: .utf8)
                // The bot token is inline: check-config refuses it in a file others can read.
                #expect(chmod(config, 0o600) == 0)

                let check = try await installed.run(["check-config", "--config", config])
                #expect(check.status == 0, "\(check.output)")
                #expect(check.output.contains("OK"))
                #expect(check.output.contains("catalogs: en, es"))

                let hub = try await HubRestartTests.startHub(config: config, port: port, installed: installed)
                defer {
                    hub.terminate()
                    hub.waitUntilExit()
                }
                let client = SealedClient(endpoint: HTTPEndpoint(host: "127.0.0.1", port: port), agentID: "web-1", key: agent.key)
                _ = try await client.post("/alert", body: try WireCoding.encode(HubEndToEndTests.sshAlert()))
                let shown = try await telegram.waitUntil(timeout: .seconds(30)) { $0.botMessages(in: HubHarness.chatID).first }
                #expect(shown.text.contains("web-1"))
                #expect(!shown.text.contains("alert."), "a raw catalog key means the catalogs were not loaded")

                // A second hub on the same state directory is refused by the lock, naming the running one.
                let second = try await installed.run(["run", "--config", config])
                #expect(second.status != 0)
                #expect(second.output.contains("another bothub (pid \(hub.processIdentifier)) is already running"), "\(second.output)")
            }
        }

        @Test(
            "a hub started while Telegram is unreachable stores alerts, serves agents, and delivers once Telegram answers",
            .enabled(if: binaryBuilt, "needs the bothub binary (swift build --build-tests)")
        )
        func startsWithoutTelegram() async throws {
            let installed = try InstalledHub.make()
            defer { installed.remove() }
            let agent = FakeAgent()
            try await agent.start()
            atTestEnd { [agent] in await agent.stop() }
            try await FakeTelegramServer.withServer { telegram in
                // Telegram's port is closed while the hub starts: connections are refused, as before the network is up.
                await telegram.goOffline()
                let port = try FreePort.loopback()
                let harness = try await HubHarness.make(telegram: telegram, agents: [await agent.entry], port: port)
                defer { harness.cleanUp() }
                let config = harness.stateDirectory + "/hub.yml"
                try harness.yaml.write(toFile: config, atomically: true, encoding: .utf8)

                let hub = try await HubRestartTests.startHub(config: config, port: port, installed: installed)
                defer {
                    hub.terminate()
                    hub.waitUntilExit()
                }
                let alert = HubEndToEndTests.sshAlert()
                let client = SealedClient(endpoint: HTTPEndpoint(host: "127.0.0.1", port: port), agentID: "web-1", key: agent.key)
                _ = try await client.post("/alert", body: try WireCoding.encode(alert))
                let store = try HubStore.open(path: harness.stateDirectory + "/hub.sqlite")
                #expect(try await store.alert(shortID: ShortID.make(alert.id)) != nil, "the alert is stored while Telegram is away")

                try await telegram.goOnline()
                let shown = try await telegram.waitUntil(timeout: .seconds(60)) { $0.botMessages(in: HubHarness.chatID).first }
                #expect(shown.text.contains("web-1"))
                let log = try String(contentsOfFile: config + ".log", encoding: .utf8)
                #expect(log.contains("Telegram is unreachable"))
                #expect(!log.contains("refused the bot token"))
            }
        }

        @Test(
            "a token Telegram refuses (401) stops the hub at start and says so",
            .enabled(if: binaryBuilt, "needs the bothub binary (swift build --build-tests)")
        )
        func refusedToken() async throws {
            let installed = try InstalledHub.make()
            defer { installed.remove() }
            try await FakeTelegramServer.withServer { telegram in
                let harness = try await HubHarness.make(telegram: telegram, agents: [], port: try FreePort.loopback())
                defer { harness.cleanUp() }
                let config = harness.stateDirectory + "/hub.yml"
                let wrongToken = "999999:" + String(repeating: "x", count: 35)
                try harness.yaml.replacingOccurrences(of: telegram.token, with: wrongToken).write(toFile: config, atomically: true, encoding: .utf8)
                let result = try await installed.run(["run", "--config", config])
                #expect(result.status != 0)
                #expect(result.output.contains("Telegram refused the bot token"), "\(result.output)")
                #expect(result.output.contains("HTTP 401"), "\(result.output)")
            }
        }

        @Test(
            "a damaged agents.yml: check-config fails naming it, `agent list` shows the bad entry's reason, the hub will not start",
            .enabled(if: binaryBuilt, "needs the bothub binary (swift build --build-tests)")
        )
        func damagedEnrollment() async throws {
            let installed = try InstalledHub.make()
            defer { installed.remove() }
            let state = try EnrollmentTests.directory()
            defer { try? FileManager.default.removeItem(atPath: state) }
            let config = "\(state)/hub.yml"
            try "hub:\n  state_dir: \(state)\nlisten:\n  port: \(try FreePort.loopback())\n"
                .write(toFile: config, atomically: true, encoding: .utf8)
            let agents = "\(state)/agents.yml"

            try
                "- {id: web-1, url: \"http://127.0.0.1:7071\", key: \"\(AgentKey.generate().base64)\"}\n- {id: web-2, url: \"http://127.0.0.1:7072\"}\n"
                .write(toFile: agents, atomically: true, encoding: .utf8)
            let check = try await installed.run(["check-config", config])
            #expect(check.status != 0)
            #expect(check.output.contains("agents.yml entry 2 (web-2): key is missing"), "\(check.output)")
            let list = try await installed.run(["agent", "list", "--config", config])
            #expect(list.output.contains("web-1\thttp://127.0.0.1:7071\tenrolled"), "\(list.output)")
            #expect(list.output.contains("REJECTED: agents.yml entry 2 (web-2): key is missing"), "\(list.output)")
            #expect(!list.output.contains("DecodingError"))

            try "- id: web-1\n  url: [unclosed\n".write(toFile: agents, atomically: true, encoding: .utf8)
            let broken = try await installed.run(["check-config", config])
            #expect(broken.status != 0)
            #expect(broken.output.contains("agents.yml: line 3, column 1: not valid YAML"), "\(broken.output)")
            let run = try await installed.run(["run", "--config", config])
            #expect(run.status != 0)
            #expect(run.output.contains("agents.yml: line 3, column 1: not valid YAML"), "\(run.output)")
        }

        @Test(
            "`bothub audit` before the hub ever ran says there is no database yet and where, not SQLite error 14",
            .enabled(if: binaryBuilt, "needs the bothub binary (swift build --build-tests)")
        )
        func noDatabaseYet() async throws {
            let installed = try InstalledHub.make()
            defer { installed.remove() }
            let state = try EnrollmentTests.directory()
            defer { try? FileManager.default.removeItem(atPath: state) }
            let config = "\(state)/hub.yml"
            try "hub:\n  state_dir: \(state)\n".write(toFile: config, atomically: true, encoding: .utf8)
            let result = try await installed.run(["audit", "--config", config])
            #expect(result.status != 0)
            #expect(result.output.contains("no database at \(state)/hub.sqlite: has `bothub run` started"), "\(result.output)")
            #expect(!FileManager.default.fileExists(atPath: "\(state)/hub.sqlite"), "a read-only command creates no database")
        }

        @Test("`bothub --version` prints the one version string", .enabled(if: binaryBuilt, "needs the bothub binary (swift build --build-tests)"))
        func version() async throws {
            let installed = try InstalledHub.make()
            defer { installed.remove() }
            let result = try await installed.run(["--version"])
            #expect(result.status == 0)
            #expect(result.output == "\(VigilVersion.current)\n")
        }
    }
}
