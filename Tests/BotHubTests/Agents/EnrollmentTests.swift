import ArgumentParser
import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

@Suite("Enrollment and key rotation", .serialized, .awaitsTeardown)
struct EnrollmentTests {
    static func directory() throws -> String {
        try TemporaryDirectory.forTestRun("vigil-hub")
    }

    @Test("an enrolled agent is known to a running hub without a restart, and removal revokes it")
    func liveEnrollment() async throws {
        let state = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let file = AgentEnrollmentFile(stateDirectory: state)
        let directory = AgentDirectory(configured: [], enrollment: file)
        #expect(await directory.keys(for: "web-2").isEmpty)
        let key = AgentKey.generate()
        try file.add(.init(id: "web-2", url: "http://127.0.0.1:7071", key: key.base64))
        #expect(await directory.keys(for: "web-2") == [key])
        #expect(throws: ConfigError.self) { try file.add(.init(id: "web-2", url: "http://127.0.0.1:7071", key: AgentKey.generate().base64)) }
        try? await Task.sleep(for: .milliseconds(10))
        try file.remove("web-2")
        #expect(await directory.keys(for: "web-2").isEmpty)
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test("after a rotation both keys are accepted until the grace period ends, then only the new one")
    func rotationGrace() async throws {
        let state = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let clock = TestClock(Date())
        let file = AgentEnrollmentFile(stateDirectory: state)
        let old = AgentKey.generate()
        try file.add(.init(id: "web-1", url: "http://127.0.0.1:7071", key: old.base64))
        let new = AgentKey.generate()
        try file.rotateKey("web-1", newKey: new, grace: 3600, now: clock.now)
        let directory = AgentDirectory(configured: [], enrollment: file, now: { clock.now })
        #expect(await directory.keys(for: "web-1") == [new, old])

        let verifier = EnvelopeVerifier(keys: directory, now: { clock.now })
        let sealedWithOld = try Sealer.seal(
            Array("{}".utf8), direction: .request(method: "POST", path: "/alert"), agentID: "web-1", key: old, now: clock.now)
        #expect(
            try await verifier.open(
                method: "POST", path: "/alert", agentID: "web-1", timestamp: String(sealedWithOld.timestamp), nonce: sealedWithOld.nonce,
                body: sealedWithOld.body
            ).key == old)

        clock.advance(by: 3601)
        #expect(await directory.keys(for: "web-1") == [new])
    }

    @Test("a command reaches an agent that still holds its previous key")
    func dispatchFallsBackToPreviousKey() async throws {
        let agent = FakeAgent()
        try await agent.start()
        atTestEnd { [agent] in await agent.stop() }
        var entry = await agent.entry
        entry.retiredKeys = [HubConfiguration.RetiredKey(key: entry.key, validUntil: Date().addingTimeInterval(3600))]
        entry.key = AgentKey.generate()
        let dispatcher = ResponseDispatcher(agents: AgentDirectory(configured: [entry]), timeout: .seconds(5), logger: Logger(label: "test"))
        let command = ResponseCommand(
            alertId: nil,
            action: .unblockIP(ip: "192.0.2.1"),
            requestedBy: Operator(telegramUserId: 1, name: "a"),
            issuedAt: Date(),
            expiresAt: Date().addingTimeInterval(60)
        )
        let result = await dispatcher.dispatch(command, to: "web-1", now: Date())
        #expect(result.outcome == .done)
        #expect(await agent.commands.count == 1)
    }

    @Test("`bothub choose` goes through the same checks and dispatch, with the local user as operator")
    func localChoice() async throws {
        let store = try HubStore.inMemory()
        let agent = FakeAgent()
        try await agent.start()
        atTestEnd { [agent] in await agent.stop() }
        let alert = Alert(
            agent: "web-1",
            hostname: "web-1",
            kind: .sshBruteForce,
            severity: .warning,
            observedAt: Date(),
            subject: .sshBruteForce(SSHBruteForceEvidence(ip: "192.0.2.44", attempts: 9, users: ["root"], windowSeconds: 60)),
            actions: [.blockIP24h]
        )
        _ = try store.recordAlert(alert, chats: [], now: Date())
        let handler = ChoiceHandler(
            store: store,
            catalogs: try MessageCatalogs.load(directory: repositoryPath("translations")),
            telegram: nil,
            roster: ChatRoster(chats: [], store: store, defaultLanguage: "en"),
            dispatcher: ResponseDispatcher(
                agents: AgentDirectory(configured: [await agent.entry]), timeout: .seconds(5), logger: Logger(label: "test")),
            settings: ChoiceSettings(),
            logger: Logger(label: "test"),
            now: Date.init
        )
        let short = ShortID.make(alert.id)
        let press = { (data: String) in Press(userID: 0, name: "local:ops", origin: .hubMachine, data: data, reply: { _, _ in }) }
        await handler.process(press("v1:block_ip_1h:\(short)"))
        #expect(await agent.commands.isEmpty, "an action the agent did not offer is refused locally too")
        await handler.process(press("v1:block_ip_24h:\(short)"))
        #expect(await agent.commands.map(\.action) == [.blockIP(ip: "192.0.2.44", durationSeconds: 86_400)])
        #expect(try store.auditEntries(since: .distantPast).contains { $0.actor == "local:ops" && $0.event == "press" })
    }

    @Test("`agent add` and `rotate-key` keep keys private: agents.yml 0600, the state directory tightened to 0700, no temporary left")
    func enrollmentModes() throws {
        let parent = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let state = "\(parent)/state"
        // Given a state directory someone made by hand with the default mode,
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        let config = "\(parent)/hub.yml"
        let yaml = Data("hub:\n  state_dir: \(state)\n".utf8)
        #expect(FileManager.default.createFile(atPath: config, contents: yaml, attributes: [.posixPermissions: 0o600]))
        // when an agent is enrolled and its key rotated,
        try AgentCommand.Add.parse(["web-9", "--url", "http://127.0.0.1:7071", "--config", config]).run()
        #expect(PrivateFile.mode(of: state) == 0o700)
        #expect(PrivateFile.mode(of: "\(state)/agents.yml") == 0o600)
        try AgentCommand.RotateKey.parse(["web-9", "--config", config]).run()
        // then the keys were never in a file others could read.
        #expect(PrivateFile.mode(of: "\(state)/agents.yml") == 0o600)
        #expect(!FileManager.default.fileExists(atPath: "\(state)/agents.yml.tmp"))
        // and check-config accepts the result, but refuses once agents.yml is made readable by others.
        try CheckConfigCommand.parse([config]).run()
        #expect(chmod("\(state)/agents.yml", 0o644) == 0)
        #expect(throws: ExitCode.failure) { try CheckConfigCommand.parse([config]).run() }
    }

    @Test("hub check-config refuses an inline bot token in a world-readable file")
    func checkConfigRefusesReadableToken() throws {
        let parent = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let config = "\(parent)/hub.yml"
        let yaml = "hub:\n  state_dir: \(parent)/state\ntelegram:\n  token: \"123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw\"\n  chats: []\n"
        #expect(FileManager.default.createFile(atPath: config, contents: Data(yaml.utf8), attributes: [.posixPermissions: 0o644]))
        #expect(throws: ExitCode.failure) { try CheckConfigCommand.parse([config]).run() }
        #expect(chmod(config, 0o600) == 0)
        try CheckConfigCommand.parse([config]).run()
    }
}
