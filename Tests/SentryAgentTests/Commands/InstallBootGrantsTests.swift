import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// `sentry-agent install-boot` keeps CAP_SYS_BOOT and CAP_SYS_PTRACE only when the agent's `responses:` section
/// allows power actions and session kills (the unit itself is tested in SharedTests' `BootUnitTests`).
@Suite("Agent install-boot grants")
struct InstallBootGrantsTests {
    static func placeBinary(under root: String) throws {
        let binary = BootUnit(program: .agent).binary
        try FileManager.default.createDirectory(atPath: root + (binary as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: root + binary, contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755]))
    }

    @Test("install-boot reads the agent's responses section: reboot or shutdown enabled means CAP_SYS_BOOT")
    func installBootReadsPowerActions() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-boot-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: "\(root)/etc/vigil", withIntermediateDirectories: true)
        // The rest of the file (an {env:} key not set here) does not matter: only responses: is read.
        let yaml = "agent:\n  id: web-1\nhub:\n  url: http://127.0.0.1:7070\n  key: {env: NOT_SET_HERE}\nresponses:\n  reboot: true\n"
        try Self.placeBinary(under: root)
        try yaml.write(toFile: "\(root)/etc/vigil/agent.yml", atomically: true, encoding: .utf8)
        var options = try InstallBootOptions.parse(["--systemd", "--root", root, "--binary", "/usr/local/bin/sentry-agent", "--no-start"])
        try options.run(for: .agent, grants: ResponsesConfiguration.bootGrants(configurationFile:))
        #expect(try String(contentsOfFile: "\(root)/etc/systemd/system/sentry-agent.service", encoding: .utf8).contains("CAP_SYS_BOOT"))
        try "responses:\n  reboot: false\n  kill_session: false\n".write(toFile: "\(root)/etc/vigil/agent.yml", atomically: true, encoding: .utf8)
        options = try InstallBootOptions.parse(["--systemd", "--root", root, "--binary", "/usr/local/bin/sentry-agent", "--no-start"])
        try options.run(for: .agent, grants: ResponsesConfiguration.bootGrants(configurationFile:))
        let unit = try String(contentsOfFile: "\(root)/etc/systemd/system/sentry-agent.service", encoding: .utf8)
        #expect(!unit.contains("CAP_SYS_BOOT") && !unit.contains("CAP_SYS_PTRACE"))
        try "responses:\n  reboot: maybe\n".write(toFile: "\(root)/etc/vigil/agent.yml", atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try options.run(for: .agent, grants: ResponsesConfiguration.bootGrants(configurationFile:)) }
    }
}
