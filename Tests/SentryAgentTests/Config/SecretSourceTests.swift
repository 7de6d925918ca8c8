import Foundation
import Shared
import Testing

@testable import SentryAgent

/// `check-config` refuses a secret that others on the host can read, naming the field, the path and the fix.
@Suite("Secret file modes")
struct SecretSourceTests {
    static let key = AgentKey.generate().base64

    static func write(_ text: String, mode: Int) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-secret-\(UUID().uuidString)").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode]))
        return path
    }

    static func agentYAML(key: String) -> String {
        """
        agent:
          id: web-1
          state_dir: /tmp/vigil-secret-test
        hub:
          url: http://127.0.0.1:7070
          key: \(key)
        """
    }

    @Test("an inline key in a world-readable agent config is refused with the field, the path and chmod 600")
    func inlineKeyReadable() throws {
        let config = try Self.write(Self.agentYAML(key: "\"\(Self.key)\""), mode: 0o644)
        defer { try? FileManager.default.removeItem(atPath: config) }
        let configuration = try AgentConfiguration.load(path: config)
        #expect(configuration.secretSources == [SecretSource(field: "hub.key", file: nil)])
        let problems = SecretSource.exposures(of: configuration.secretSources, configurationFile: config)
        #expect(problems.count == 1)
        #expect(problems.first?.field == "hub.key")
        #expect(problems.first?.reason.contains("inline in \(config)") == true)
        #expect(problems.first?.reason.contains("mode 644") == true)
        #expect(problems.first?.reason.contains("chmod 600 \(config)") == true)
    }

    @Test("an inline key in a 0600 config, and a group-writable but unreadable one, pass")
    func inlineKeyPrivate() throws {
        for mode in [0o600, 0o620] {
            let config = try Self.write(Self.agentYAML(key: "\"\(Self.key)\""), mode: mode)
            defer { try? FileManager.default.removeItem(atPath: config) }
            let configuration = try AgentConfiguration.load(path: config)
            #expect(SecretSource.exposures(of: configuration.secretSources, configurationFile: config).isEmpty)
        }
    }

    @Test("a {file:} key readable by group is refused naming that file; the readable config itself is fine then")
    func fileKeyReadable() throws {
        let keyFile = try Self.write(Self.key + "\n", mode: 0o640)
        defer { try? FileManager.default.removeItem(atPath: keyFile) }
        let config = try Self.write(Self.agentYAML(key: "{file: \(keyFile)}"), mode: 0o644)
        defer { try? FileManager.default.removeItem(atPath: config) }
        let configuration = try AgentConfiguration.load(path: config)
        let problems = SecretSource.exposures(of: configuration.secretSources, configurationFile: config)
        #expect(problems.map(\.field) == ["hub.key"])
        #expect(problems.first?.reason.contains("read from \(keyFile)") == true)
        #expect(problems.first?.reason.contains("chmod 600 \(keyFile)") == true)
        #expect(chmod(keyFile, 0o600) == 0)
        #expect(SecretSource.exposures(of: configuration.secretSources, configurationFile: config).isEmpty)
    }

    @Test("an {env:} secret is not a file-mode problem")
    func environmentSecret() throws {
        let config = try Self.write(Self.agentYAML(key: "{env: VIGIL_TEST_KEY}"), mode: 0o644)
        defer { try? FileManager.default.removeItem(atPath: config) }
        let configuration = try AgentConfiguration.load(path: config, environment: ["VIGIL_TEST_KEY": Self.key])
        #expect(configuration.secretSources.isEmpty)
    }
}
