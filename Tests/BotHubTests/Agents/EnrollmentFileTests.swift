import ArgumentParser
import Foundation
import Shared
import Testing

@testable import BotHub

/// `agents.yml` damaged by hand, and overlapping key rotations.
@Suite("Enrollment file checks and overlapping rotations", .serialized)
struct EnrollmentFileTests {
    static let goodKey = AgentKey.generate()

    static func stateDirectory(agentsYAML: String? = nil) throws -> String {
        let path = try EnrollmentTests.directory()
        if let agentsYAML { try agentsYAML.write(toFile: "\(path)/agents.yml", atomically: true, encoding: .utf8) }
        return path
    }

    static func hubYAML(state: String, extraChat: String = "", agents: String = "") -> String {
        """
        hub:
          state_dir: \(state)
        telegram:
          chats:
            - id: -100
              operators:
                - {id: 1, name: alice, role: admin}
        \(extraChat)
        \(agents)
        """
    }

    @Test("a file that is not a list of agents is an error, never zero agents")
    func corruptedFile() throws {
        for text in ["- id: web-1\n  url: [unclosed\n", "just some text\n", "web-1: {url: x}\n"] {
            let state = try Self.stateDirectory(agentsYAML: text)
            defer { try? FileManager.default.removeItem(atPath: state) }
            #expect(throws: ConfigError.self) { try AgentEnrollmentFile(stateDirectory: state).load() }
            let hub = try HubConfiguration.parse(yaml: Self.hubYAML(state: state), environment: [:])
            let check = HubSetupCheck(configuration: hub, catalogs: try MessageCatalogs.builtIn())
            #expect(check.enrollmentProblems().first?.description.contains("agents.yml") == true)
            #expect(throws: ConfigError.self) { try check.logEnrollment(logger: .init(label: "test")) }
        }
    }

    @Test("each bad entry is rejected with its reason while the good ones keep working")
    func badEntries() async throws {
        let yaml = """
            - {id: web-1, url: "http://127.0.0.1:7071", key: "\(Self.goodKey.base64)"}
            - {id: web-2, url: "http://127.0.0.1:7072"}
            - {id: web-3, url: "ftp://nowhere", key: "\(AgentKey.generate().base64)"}
            - {id: web-4, url: "http://127.0.0.1:7074", key: "c2hvcnQ="}
            - {id: web-1, url: "http://127.0.0.1:7075", key: "\(AgentKey.generate().base64)"}
            """
        let state = try Self.stateDirectory(agentsYAML: yaml)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let contents = try AgentEnrollmentFile(stateDirectory: state).load()
        #expect(contents.entries.map(\.id) == ["web-1"])
        #expect(contents.rejected.map(\.position) == [2, 3, 4, 5])
        #expect(contents.rejected[0].description == "agents.yml entry 2 (web-2): key is missing")
        #expect(contents.rejected[1].reason.contains("not an http://host:port URL"))
        #expect(contents.rejected[2].reason.contains("not a base64 32-byte key"))
        #expect(contents.rejected[3].reason.contains("duplicate id web-1"))
        let directory = AgentDirectory(configured: [], enrollment: AgentEnrollmentFile(stateDirectory: state))
        #expect(await directory.keys(for: "web-1") == [Self.goodKey])
        // Changing the file would drop the bad entries without a word: refused until they are fixed.
        #expect(throws: ConfigError.self) { try AgentEnrollmentFile(stateDirectory: state).remove("web-1") }
    }

    @Test("check-config names agents both enrolled and in the config file, and chat languages without a catalog")
    func crossChecks() throws {
        let state = try Self.stateDirectory(
            agentsYAML: "- {id: web-1, url: \"http://127.0.0.1:7071\", key: \"\(Self.goodKey.base64)\"}\n")
        defer { try? FileManager.default.removeItem(atPath: state) }
        let yaml = Self.hubYAML(
            state: state,
            extraChat: "    - id: -200\n      language: fr",
            agents: "agents:\n  - {id: web-1, url: \"http://127.0.0.1:7071\", key: \"\(AgentKey.generate().base64)\"}"
        )
        let hub = try HubConfiguration.parse(yaml: yaml, environment: [:])
        let check = HubSetupCheck(configuration: hub, catalogs: try MessageCatalogs.builtIn())
        #expect(check.configurationProblems().map(\.description) == ["telegram.chats[1].language: no bot.fr.yml catalog (catalogs: en, es)"])
        #expect(check.enrollmentProblems().map(\.description).contains { $0.contains("agent web-1 is both enrolled and in the config file") })
    }

    @Test("a chat listed twice, or an operator listed twice in one chat, is refused naming the field")
    func duplicateChatsAndOperators() throws {
        let yaml = """
            hub:
              state_dir: /tmp/unused
            telegram:
              chats:
                - id: -100
                  operators:
                    - {id: 1, name: alice, role: admin}
                    - {id: 1, name: alice2, role: operator}
                - id: -100
            """
        let error = try #require(throws: ConfigError.self) { try HubConfiguration.parse(yaml: yaml, environment: [:]) }
        let problems = error.problems.map(\.description)
        #expect(problems.contains { $0.hasPrefix("telegram.chats[0].operators[1].id: duplicate operator id 1") })
        #expect(problems.contains { $0.hasPrefix("telegram.chats[1].id: duplicate chat id -100") })
    }

    @Test("a file damaged while the hub runs keeps the agents read before")
    func damagedWhileRunning() async throws {
        let state = try Self.stateDirectory(
            agentsYAML: "- {id: web-1, url: \"http://127.0.0.1:7071\", key: \"\(Self.goodKey.base64)\"}\n")
        defer { try? FileManager.default.removeItem(atPath: state) }
        let directory = AgentDirectory(configured: [], enrollment: AgentEnrollmentFile(stateDirectory: state))
        #expect(await directory.keys(for: "web-1") == [Self.goodKey])
        try "- id: web-1\n  url: [unclosed\n".write(toFile: "\(state)/agents.yml", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(5)], ofItemAtPath: "\(state)/agents.yml")
        #expect(await directory.keys(for: "web-1") == [Self.goodKey])
    }

    @Test("a second rotation keeps the first old key valid until its own grace ends")
    func overlappingRotations() async throws {
        let state = try Self.stateDirectory()
        defer { try? FileManager.default.removeItem(atPath: state) }
        let clock = TestClock(Date())
        let file = AgentEnrollmentFile(stateDirectory: state)
        let first = AgentKey.generate()
        try file.add(.init(id: "web-1", url: "http://127.0.0.1:7071", key: first.base64))
        let second = AgentKey.generate()
        try file.rotateKey("web-1", newKey: second, grace: 3600, now: clock.now)
        clock.advance(by: 600)
        let third = AgentKey.generate()
        try file.rotateKey("web-1", newKey: third, grace: 7200, now: clock.now)
        let directory = AgentDirectory(configured: [], enrollment: file, now: { clock.now })
        // The running agent still holds `first`: it is not cut off by the second rotation.
        #expect(await directory.keys(for: "web-1") == [third, second, first])
        let entry = try #require(try file.agentEntries().first)
        #expect(AgentCommand.List.rotations(entry, now: clock.now).contains("rotation in progress: 2 old keys still valid"))
        clock.advance(by: 3000)
        #expect(await directory.keys(for: "web-1") == [third, second])
        clock.advance(by: 7200)
        #expect(await directory.keys(for: "web-1") == [third])
        #expect(AgentCommand.List.rotations(entry, now: clock.now).isEmpty)
        // A later rotation drops the expired keys from the file.
        try file.rotateKey("web-1", newKey: AgentKey.generate(), grace: 60, now: clock.now)
        #expect(try file.read().first?.retiredKeys.count == 1)
    }

    @Test("a file written with one previous key still reads, as a rotation in progress")
    func legacyPreviousKey() async throws {
        let old = AgentKey.generate()
        let until = Date().addingTimeInterval(3600)
        let yaml = """
            - id: web-1
              url: "http://127.0.0.1:7071"
              key: "\(Self.goodKey.base64)"
              previousKey: "\(old.base64)"
              previousKeyUntil: \(ISO8601DateFormatter().string(from: until))
            """
        let state = try Self.stateDirectory(agentsYAML: yaml)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let directory = AgentDirectory(configured: [], enrollment: AgentEnrollmentFile(stateDirectory: state))
        #expect(await directory.keys(for: "web-1") == [Self.goodKey, old])
    }

    @Test("a file written by the Yams-based hub, retired keys and nanosecond times included, still reads")
    func yamsWrittenFile() throws {
        let retired = AgentKey.generate()
        let yaml = """
            # Written by `bothub agent`. Holds agent keys: keep it private.
            - id: web-1
              url: http://127.0.0.1:7071
              key: \(Self.goodKey.base64)
              retiredKeys:
              - key: \(retired.base64)
                validUntil: 2030-03-17T17:46:40.123456789Z

            """
        let state = try Self.stateDirectory(agentsYAML: yaml)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let entries = try AgentEnrollmentFile(stateDirectory: state).read()
        #expect(entries.map(\.id) == ["web-1"])
        let until = try #require(entries.first?.retiredKeys.first?.validUntil)
        #expect(abs(until.timeIntervalSince1970 - 1_900_000_000.123456789) < 1e-6)
        #expect(entries.first?.retiredKeys.first?.key == retired.base64)
    }

    @Test("what the hub writes reads back exactly, whatever the strings hold")
    func writtenTextReadsBack() throws {
        let entries = [
            AgentEnrollmentFile.Entry(
                id: "yes", url: "http://h:1/#x", key: "a: b", retiredKeys: [.init(key: "~", validUntil: Date(timeIntervalSince1970: 1e9))]),
            AgentEnrollmentFile.Entry(id: "- \"quoted\"\n\\", url: "0x1F", key: "null"),
        ]
        let nodes = try #require(try YAMLNode.parse(AgentEnrollmentFile.yaml(entries)))
        guard case .sequence(let items) = nodes.kind else {
            Issue.record("not a list")
            return
        }
        #expect(try items.map { try AgentEnrollmentFile.Entry($0) } == entries)
        #expect(try YAMLNode.parse(AgentEnrollmentFile.yaml([]))?.kind == .sequence([]))
    }

    @Test("--grace 0s cuts the agent off at once, so it needs --force")
    func zeroGraceNeedsForce() throws {
        #expect(throws: (any Error).self) { try AgentCommand.RotateKey.parse(["web-1", "--config", "/x.yml", "--grace", "0s"]) }
        _ = try AgentCommand.RotateKey.parse(["web-1", "--config", "/x.yml", "--grace", "0s", "--force"])
        _ = try AgentCommand.RotateKey.parse(["web-1", "--config", "/x.yml", "--grace", "1h"])
    }
}
