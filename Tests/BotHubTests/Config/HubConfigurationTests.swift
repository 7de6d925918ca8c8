import Foundation
import Testing
import VigilTestSupport

@testable import BotHub
@testable import Shared

/// The hub's configuration reader: the shipped example and the problems it reports (the agent's are in
/// SentryAgentTests' `ConfigurationTests`).
@Suite("Hub configuration")
struct HubConfigurationTests {
    static let key = AgentKey.generate().base64
    static let token = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123"

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

    @Test("the example hub configuration is valid once its secrets are in the environment")
    func hubExample() throws {
        let configuration = try HubConfiguration.load(
            path: repositoryPath("config/hub.example.yml"),
            environment: ["VIGIL_BOT_TOKEN": Self.token, "VIGIL_WEB1_KEY": Self.key]
        )
        #expect(configuration.telegram.chats.first?.operators.map(\.role) == [.admin, .operator])
        #expect(configuration.agents.map(\.id) == ["web-1"])
        #expect(configuration.listen.port == 7070)
    }

    @Test("every problem is reported with its dotted field path")
    func namesEveryBadField() {
        let yaml = """
            hub:
              state_dir: relative/path
              langauge: en
            listen:
              port: 70000
              request_timeout: soon
              max_connections_per_address: 0
            telegram:
              token: not-a-token
              chats:
                - id: 42
                  operators:
                    - id: 7
                      role: root
            agents:
              - id: web-1
                url: http://10.0.0.5:7071
                key: "\(Self.key)"
              - id: web-1
                url: http://10.0.0.6:7071
                key: "\(Self.key)"
              - id: "bad id"
                url: ftp://10.0.0.7
                key: short
            """
        let found = problems { _ = try HubConfiguration.parse(yaml: yaml, environment: [:]) }
        #expect(found.contains("hub.state_dir: must be an absolute path"))
        #expect(found.contains("hub.langauge: unknown field `langauge` (did you mean `language`?)"))
        #expect(found.contains("listen.port: must be between 0 and 65535"))
        #expect(found.contains { $0.hasPrefix("listen.request_timeout: expected a duration") })
        #expect(found.contains("listen.max_connections_per_address: must be between 1 and 100000"))
        #expect(found.contains { $0.hasPrefix("telegram.token: not a bot token") })
        #expect(found.contains("telegram.chats[0].operators[0].role: expected admin or operator"))
        #expect(found.contains("agents[1].id: duplicate agent id web-1"))
        #expect(found.contains { $0.hasPrefix("agents[2].id: use 1–64") })
        #expect(found.contains("agents[2].url: not an http://host:port URL"))
        #expect(found.contains { $0.hasPrefix("agents[2].key: not a base64 32-byte key") })
    }
}
