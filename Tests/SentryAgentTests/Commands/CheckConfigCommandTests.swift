import ArgumentParser
import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// `sentry-agent check-config`: where it finds the file, and the warnings it prints for a usable configuration.
@Suite("sentry-agent check-config", .serialized, .system)
struct CheckConfigCommandTests {
    static func write(_ yaml: String, in directory: TemporaryDirectory) throws -> String {
        let path = directory.file("agent.yml")
        let key = AgentKey.generate().base64
        try "agent: {id: web-1, state_dir: \(directory.file("state"))}\nhub: {url: 'http://127.0.0.1:9', key: '\(key)'}\n\(yaml)"
            .write(toFile: path, atomically: true, encoding: .utf8)
        // The key is inline: check-config refuses it in a file others can read.
        #expect(chmod(path, 0o600) == 0)
        return path
    }

    @Test("the file is taken from --config, from the argument, or from $VIGIL_CONFIG")
    func whereTheFileComesFrom() async throws {
        let directory = try TemporaryDirectory("vigil-check")
        let path = try Self.write("detectors: {ssh: {enabled: false}, http404: {enabled: false}}", in: directory)
        for arguments in [["check-config", "--config", path], ["check-config", path]] {
            let result = try await AgentCLI.run(arguments)
            #expect(result.status == 0)
            #expect(result.output == "\(path): OK (agent web-1, hub http://127.0.0.1:9)\n")
        }
        var environment = ProcessInfo.processInfo.environment
        environment["VIGIL_CONFIG"] = path
        let fromEnvironment = try await AgentCLI.run(["check-config"], environment: environment)
        #expect(fromEnvironment.output.hasPrefix("\(path): OK"))
        environment["VIGIL_CONFIG"] = nil
        let installed = try await AgentCLI.run(["check-config"], environment: environment)
        if !FileManager.default.fileExists(atPath: "/etc/vigil/agent.yml") {
            #expect(installed.status == 1)
            #expect(installed.output == "/etc/vigil/agent.yml: (file): cannot read /etc/vigil/agent.yml\n")
        }
    }

    @Test("warnings, exit 0: a missing log file, a missing explicit ssh path (no journald fallback), a state_dir that cannot be created")
    func warnings() async throws {
        let directory = try TemporaryDirectory("vigil-check-warn")
        let blocker = directory.file("blocker")
        _ = FileManager.default.createFile(atPath: blocker, contents: Data("a file, not a directory".utf8))
        let path = directory.file("agent.yml")
        try """
        agent: {id: web-1, state_dir: \(blocker)/state}
        hub: {url: 'http://127.0.0.1:9', key: '\(AgentKey.generate().base64)'}
        detectors:
          ssh: {paths: [\(directory.file("auth.log"))]}
          http404: {paths: [\(directory.file("access.log"))]}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(chmod(path, 0o600) == 0)
        let result = try await AgentCLI.run(["check-config", "--config", path])
        #expect(result.status == 0)
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(
            lines == [
                "\(path): OK (agent web-1, hub http://127.0.0.1:9)",
                "\(path): warning: detectors.ssh.paths: \(directory.file("auth.log")) does not exist; the detector waits for it to appear",
                "\(path): warning: detectors.http404.paths: \(directory.file("access.log")) does not exist; the detector waits for it to appear",
                "\(path): warning: agent.state_dir: cannot be created: \(blocker) is not a directory",
            ])
    }

    @Test("the default ssh paths that do not exist are not warned about: auto falls back to journald for them, by design")
    func defaultSSHPathsAreQuiet() throws {
        let directory = try TemporaryDirectory("vigil-check-quiet")
        let path = try Self.write("detectors: {http404: {enabled: false}}", in: directory)
        let configuration = try AgentConfiguration.load(path: path)
        #expect(configuration.warnings { _ in false }.isEmpty)
    }
}

/// Shell completions come from the argument parser itself, so they cannot drift from the commands.
@Suite("sentry-agent completions", .serialized, .system)
struct CompletionScriptTests {
    @Test("bash, zsh and fish completion scripts generate and name every subcommand", arguments: ["bash", "zsh", "fish"])
    func completions(shell: String) async throws {
        let result = try await AgentCLI.run(["--generate-completion-script", shell])
        #expect(result.status == 0)
        for command in ["run", "watch", "check-config", "replay", "status", "blocks", "unblock", "install-boot"] {
            #expect(result.output.contains(command), "\(shell) completion lacks \(command)")
        }
    }

    @Test("scripts/generate-docs writes a man page per program with a section per subcommand, and the completions")
    func generatedDocumentation() async throws {
        let binary = try #require(FollowerCrashTests.agentBinary)
        let bin = (binary as NSString).deletingLastPathComponent
        guard FileManager.default.isExecutableFile(atPath: bin + "/bothub") else { return }
        let output = try TemporaryDirectory("vigil-docs")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/generate-docs").path
        let generated = try await ProgramRun.run([script, bin, output.path], mergingErrors: true)
        #expect(generated.status == 0, "\(generated.output)")
        let page = try String(contentsOfFile: output.file("man/man1/sentry-agent.1"), encoding: .utf8)
        #expect(page.hasPrefix(".TH \"SENTRY-AGENT\" 1"))
        for command in ["watch", "replay", "status", "blocks", "unblock"] { #expect(page.contains("\n.SS \(command)\n")) }
        #expect(FileManager.default.fileExists(atPath: output.file("man/man1/bothub.1")))
        for file in ["bash/sentry-agent", "zsh/_sentry-agent", "fish/sentry-agent.fish", "bash/bothub"] {
            #expect(FileManager.default.fileExists(atPath: output.file("completions/" + file)), "\(file)")
        }
    }

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
