import Foundation
import Testing

@testable import SentryAgent
@testable import Shared

@Suite("Configuration")
struct ConfigurationTests {
    static let key = AgentKey.generate().base64
    static let token = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123"

    /// The repository root, found from this file's path.
    static func repositoryFile(_ relative: String, filePath: String = #filePath) -> String {
        URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(relative).path
    }

    func problems(_ operation: () throws -> Void) -> [String] {
        do {
            try operation()
            return []
        } catch let error as ConfigError {
            return error.problems.map(\.description)
        } catch {
            return ["unexpected \(error)"]
        }
    }

    @Test("the example agent configuration is valid once its key is in the environment")
    func agentExample() throws {
        let configuration = try AgentConfiguration.load(
            path: Self.repositoryFile("config/agent.example.yml"),
            environment: ["VIGIL_AGENT_KEY": Self.key]
        )
        #expect(configuration.id == "web-1")
        #expect(configuration.hubEndpoint == HTTPEndpoint(host: "10.0.0.1", port: 7070))
        #expect(configuration.listen.port == 7071)
        #expect(configuration.listen.maxConnectionsPerAddress == 32)
        #expect(configuration.responses.reboot == false)
        // The two sections `sentry-agent` also reads on their own (detector replay, install-boot).
        let example = Self.repositoryFile("config/agent.example.yml")
        _ = try DetectorsConfiguration.parse(yaml: String(contentsOfFile: example, encoding: .utf8))
        _ = try ResponsesConfiguration.load(fromAgentConfiguration: example)
    }

    @Test("secrets come from the environment or a file, and a missing one names its variable")
    func secrets() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-config-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyFile = directory.appendingPathComponent("agent.key")
        try (Self.key + "\n").write(to: keyFile, atomically: true, encoding: .utf8)

        let fromFile = try AgentConfiguration.parse(
            yaml: "agent: {id: a1}\nhub: {url: 'http://hub:7070', key: {file: \(keyFile.path)}}",
            environment: [:]
        )
        #expect(fromFile.key.base64 == Self.key)

        let missing = problems {
            _ = try AgentConfiguration.parse(yaml: "agent: {id: a1}\nhub: {url: 'http://hub:7070', key: {env: NOPE}}", environment: [:])
        }
        #expect(missing == ["hub.key: environment variable NOPE is not set"])
    }

    @Test("an https hub URL is refused with the reason, since the agent speaks sealed plain HTTP")
    func agentHubURL() {
        let found = problems {
            _ = try AgentConfiguration.parse(yaml: "agent: {id: a1}\nhub: {url: 'https://hub', key: '\(Self.key)'}", environment: [:])
        }
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("hub.url: not an http://host:port URL") == true)
    }

    @Test("invalid YAML and a missing file are reported, not crashed on")
    func unreadable() {
        #expect(
            problems { _ = try AgentConfiguration.parse(yaml: "agent: [unclosed", environment: [:]) }.first?.hasPrefix("(file): line ")
                == true)
        #expect(
            problems { _ = try AgentConfiguration.load(path: "/nonexistent/agent.yml", environment: [:]) } == [
                "(file): cannot read /nonexistent/agent.yml"
            ])
    }

    @Test(
        "durations accept s, m, h, d and their combinations, largest unit first",
        arguments: [("30s", 30), ("5m", 300), ("24h", 86_400), ("7d", 604_800), ("1h30m", 5400), ("2d12h", 216_000), ("1m5s", 65)])
    func durations(text: String, seconds: Int64) {
        #expect(DurationText.parse(text) == .seconds(seconds))
    }

    @Test("malformed durations are refused", arguments: ["", "s", "-5m", "5w", "1.5h", "99999999999s", "45", "30m1h", "1h1h", "h5"])
    func badDurations(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test("a bare number in a duration field is refused with the unit it needs")
    func bareNumberDuration() {
        let found = problems {
            _ = try AgentConfiguration.parse(
                yaml: "agent: {id: a1}\nhub: {url: 'http://hub:7070', key: \"\(Self.key)\"}\ndetectors: {cpu: {window: 60}}", environment: [:])
        }
        #expect(found == ["detectors.cpu.window: `60` needs a unit, e.g. `60s`"])
    }

    @Test("an unknown key names the known key within two edits, and only then")
    func unknownKeySuggestion() {
        let found = problems {
            _ = try AgentConfiguration.parse(
                yaml: "agent: {id: a1, state_dr: /var/lib/x, colour: red}\nhub: {url: 'http://hub:7070', key: \"\(Self.key)\"}", environment: [:])
        }
        #expect(found.contains("agent.state_dr: unknown field `state_dr` (did you mean `state_dir`?)"))
        #expect(found.contains("agent.colour: unknown field `colour`"))
    }

    @Test("an empty key is refused with a named field (found by the config fuzzer)")
    func emptyKey() {
        let found = problems {
            _ = try AgentConfiguration.parse(
                yaml: "\"\": 1\nagent: {id: a1, \"\": x}\nhub: {url: 'http://hub:7070', key: \"\(Self.key)\"}", environment: [:])
        }
        #expect(found.contains("\"\": an empty key is not a field"))
        #expect(found.contains("agent.\"\": an empty key is not a field"))
    }

    @Test("a tab in the indentation is explained with its line")
    func tabIndentation() {
        let found = problems { _ = try AgentConfiguration.parse(yaml: "agent:\n  id: a1\n\tstate_dir: /x\n", environment: [:]) }
        #expect(found == ["(file): line 3: a tab in the indentation; YAML indents with spaces only"])
    }

    @Test("a key given twice is explained with both lines, and the document (with its secrets) is not echoed")
    func duplicateKey() {
        let yaml = "agent:\n  id: a1\nhub:\n  url: http://hub:7070\n  key: \"\(Self.key)\"\n  url: http://other:7070\n"
        let found = problems { _ = try AgentConfiguration.parse(yaml: yaml, environment: [:]) }
        #expect(found == ["(file): lines 4 and 6: the key `url` is given twice in one section; keep one"])
        #expect(!found.joined().contains(Self.key))
    }

    @Test("a YAML syntax error names its line")
    func syntaxErrorLine() {
        // libyaml notices the unclosed list where the document ends, the line after it.
        let found = problems { _ = try AgentConfiguration.parse(yaml: "agent:\n  id: a1\n  bad: [unclosed\n", environment: [:]) }
        #expect(found.first?.hasPrefix("(file): line 4, column 1: not valid YAML: did not find expected") == true, "\(found)")
    }

    @Test("http endpoints parse strictly", arguments: ["http://10.0.0.1:7070", "http://hub.example", "http://[::1]:7071", "http://hub:80/base/"])
    func endpoints(url: String) {
        #expect(HTTPEndpoint(url: url) != nil)
    }

    @Test(
        "anything but http://host[:port][/path] is refused",
        arguments: ["https://hub", "hub:7070", "http://", "http://hub:0", "http://hub:99999", "http://a b", "http://hub:7070?x"])
    func badEndpoints(url: String) {
        #expect(HTTPEndpoint(url: url) == nil)
    }
}
