import ArgumentParser
import Foundation
import Shared
import Testing

@testable import SentryAgent

@Suite("sentry-agent check-config")
struct CheckConfigCommandTests {
    @Test("an inline hub key in a config others can read is refused; after chmod 600 it passes")
    func refusesReadableInlineKey() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-agent-\(UUID().uuidString).yml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let yaml = "agent:\n  id: web-1\nhub:\n  url: http://127.0.0.1:7070\n  key: \"\(AgentKey.generate().base64)\"\n"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(yaml.utf8), attributes: [.posixPermissions: 0o644]))
        #expect(throws: ExitCode.failure) { try CheckConfigCommand.parse([path]).run() }
        #expect(chmod(path, 0o600) == 0)
        try CheckConfigCommand.parse([path]).run()
    }
}
