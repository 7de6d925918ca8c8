import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// YAML features as the agent's configuration reader meets them: anchors written on purpose work, merge keys are
/// named as unsupported (the composer's own limits are tested in SharedTests' `YAMLComposerTests`).
@Suite("Agent configuration YAML")
struct AgentConfigurationYAMLTests {
    static let key = AgentKey.generate().base64

    @Test("anchors and aliases written on purpose still work in a configuration")
    func legitimateAnchors() throws {
        let yaml = """
            agent: {id: a1}
            hub: {url: "http://hub:7070", key: "\(Self.key)"}
            detectors:
              cpu: {window: &window 10m, interval: 30s}
              http404:
                window: *window
                paths: &logs [/var/log/nginx/access.log, /var/log/nginx/other.log]
              ssh: {enabled: false, paths: *logs}
            """
        let configuration = try AgentConfiguration.parse(yaml: yaml, environment: [:])
        #expect(configuration.detectors.cpu.window == .seconds(600))
        #expect(configuration.detectors.http404.window == .seconds(600))
        #expect(configuration.detectors.ssh.paths == ["/var/log/nginx/access.log", "/var/log/nginx/other.log"])
        #expect(configuration.detectors.http404.paths == configuration.detectors.ssh.paths)
    }

    @Test("YAML 1.1's merge key is named as unsupported, not as an unknown field")
    func mergeKey() {
        let yaml =
            "agent: {id: a1}\nhub: {url: 'http://hub:7070', key: \"\(Self.key)\"}\ncpu_defaults: &cpu {window: 10m}\n"
            + "detectors:\n  cpu:\n    <<: *cpu\n"
        var found: [String] = []
        do {
            _ = try AgentConfiguration.parse(yaml: yaml, environment: [:])
        } catch let error as ConfigError {
            found = error.problems.map(\.description)
        } catch {
            found = ["unexpected \(error)"]
        }
        #expect(found.contains { $0.hasPrefix("detectors.cpu.<<: merge keys (`<<: *anchor`) are not supported") }, "\(found)")
    }

    @Test("in a configuration, null means not set (the default applies) and a quoted boolean is text, refused by field")
    func configurationReadings() throws {
        let key = AgentKey.generate().base64
        let base = "agent: {id: a1, state_dir: ~}\nhub: {url: 'http://hub:7070', key: \"\(key)\"}\n"
        let configuration = try AgentConfiguration.parse(yaml: base + "responses: {reboot: null, kill_grace: }\n", environment: [:])
        #expect(configuration.stateDirectory == "/var/lib/vigil-agent")
        #expect(configuration.responses.reboot == false)
        #expect(configuration.responses.killGrace == .seconds(3))
        do {
            _ = try AgentConfiguration.parse(yaml: base + "responses: {reboot: \"yes\", min_ipv6_prefix: '64'}\n", environment: [:])
            Issue.record("quoted values were read as a boolean and a number")
        } catch let error as ConfigError {
            #expect(
                error.problems.map(\.description) == [
                    "responses.reboot: expected true or false", "responses.min_ipv6_prefix: expected a whole number",
                ])
        }
    }
}
