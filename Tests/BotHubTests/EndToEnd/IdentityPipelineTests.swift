import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

#if canImport(Glibc)
    import Glibc
#endif

extension HubProcessTests {
    /// The identity answers end to end: the real `sentry-agent` watching a throw-away root (accounts copied from this
    /// host, a test user made in it with `useradd --prefix`), the hub relaying its identity_change alerts to the fake
    /// Telegram, an admin's press and confirmation, the agent re-checking and acting, and the files read back.
    @Suite("Identity pipeline", .serialized)
    struct IdentityPipelineTests {
        static var agentBinary: String { FullPipelineTests.agentBinary }
        static let tools = ["/usr/sbin/useradd", "/usr/sbin/usermod", "/usr/bin/ssh-keygen", "/usr/bin/tee"]
        static var canRun: Bool {
            getuid() == 0 && FileManager.default.isExecutableFile(atPath: agentBinary)
                && tools.allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
        }
        static let reason: Comment = "needs root, the sentry-agent binary (swift build --build-tests), useradd, usermod, ssh-keygen and tee"

        /// A directory that mirrors the accounts part of `/`, with a test user made in it and an empty authorized_keys.
        struct Tree {
            let root: String
            let user: String
            var keys: String { root + "/home/\(user)/.ssh/authorized_keys" }

            init(in directory: String) async throws {
                root = directory + "/root"
                user = "vgle\(getpid() % 100_000)x\(Int.random(in: 100...999))"
                let files = FileManager.default
                for path in ["etc/default", "etc/sudoers.d", "home/\(user)/.ssh"] {
                    try files.createDirectory(atPath: root + "/" + path, withIntermediateDirectories: true)
                }
                for file in ["passwd", "group", "shadow", "gshadow", "login.defs"] {
                    try files.copyItem(atPath: "/etc/" + file, toPath: root + "/etc/" + file)
                }
                if files.fileExists(atPath: "/etc/default/useradd") {
                    try files.copyItem(atPath: "/etc/default/useradd", toPath: root + "/etc/default/useradd")
                }
                try Data("root ALL=(ALL:ALL) ALL\n".utf8).write(to: URL(fileURLWithPath: root + "/etc/sudoers"))
                try Data().write(to: URL(fileURLWithPath: keys))
                try await Self.run("/usr/sbin/useradd", ["--prefix", root, "-M", "-d", "/home/\(user)", "-s", "/bin/bash", user])
            }

            /// Runs a real program to completion (argv only); throws with its standard error when it fails.
            @discardableResult
            static func run(_ program: String, _ arguments: [String], input: String? = nil) async throws -> String {
                let run = try await ProgramRun.run([program] + arguments, input: input ?? "")
                guard run.status == 0 else { throw HarnessError(description: "\(program) \(arguments): \(run.errors)") }
                return run.output
            }

            /// A fresh ed25519 key made by ssh-keygen: its authorized_keys line and its fingerprint as ssh-keygen prints it.
            func newKey(_ name: String, in directory: String) async throws -> (line: String, fingerprint: String) {
                let file = directory + "/" + name
                try await Self.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name + "@intruder", "-f", file])
                let line = try String(contentsOfFile: file + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                let listed = try await Self.run("/usr/bin/ssh-keygen", ["-lf", file + ".pub"])
                let fingerprint = try require(listed.split(separator: " ").first { $0.hasPrefix("SHA256:") }, "ssh-keygen -lf: \(listed)")
                return (line, String(fingerprint))
            }

            /// The members of `group` in the tree's /etc/group, read back.
            func members(of group: String) throws -> [String] {
                let text = try String(contentsOfFile: root + "/etc/group", encoding: .utf8)
                let line = try require(text.split(separator: "\n").first { $0.hasPrefix(group + ":") }, "no group \(group)")
                return line.split(separator: ":", omittingEmptySubsequences: false)[3].split(separator: ",").map(String.init)
            }
        }

        /// Waits for the first bot message whose text contains every one of `needles`.
        static func message(_ telegram: FakeTelegramServer, containing needles: [String]) async throws -> FakeTelegramMessage {
            try await telegram.waitUntil(timeout: .seconds(30)) { server in
                server.botMessages(in: HubHarness.chatID).first { message in needles.allSatisfy { message.text.contains($0) } }
            }
        }

        /// An admin taps `label`, then the confirmation; returns the message once it shows the outcome of `label`.
        static func choose(_ label: String, on message: FakeTelegramMessage, telegram: FakeTelegramServer) async throws -> String {
            let admin = HubHarness.admin.id
            try await telegram.pressButton(chatID: HubHarness.chatID, messageID: message.messageID, userID: admin, label: label)
            _ = try await telegram.waitUntil(timeout: .seconds(10)) { server in
                server.message(in: HubHarness.chatID, id: message.messageID)?.buttonLabels.joined().contains("Yes: \(label)") == true ? true : nil
            }
            try await telegram.pressButton(chatID: HubHarness.chatID, messageID: message.messageID, userID: admin, label: "Yes: \(label)")
            return try await telegram.waitUntil(timeout: .seconds(30)) { server in
                server.message(in: HubHarness.chatID, id: message.messageID).flatMap { shown in
                    ["\(label): done", "\(label): refused", "\(label): failed"].contains(where: shown.text.contains) ? shown.text : nil
                }
            }
        }

        @Test(
            "a key appended to a user's authorized_keys → Remove this key → gone; a member added to sudo → Remove from group → out; Revert after a later change is refused",
            .enabled(if: canRun, reason)
        )
        func answersEndToEnd() async throws {
            try await FakeTelegramServer.withServer { telegram in
                let (harness, key, agentPort) = try await HubHarness.makeForOneAgent(telegram: telegram)
                defer { harness.cleanUp() }
                let hub = try await harness.start()
                let tree = try await Tree(in: harness.stateDirectory)
                let kept = try await tree.newKey("kept", in: harness.stateDirectory)
                try Data((kept.line + "\n").utf8).write(to: URL(fileURLWithPath: tree.keys))

                let agentState = harness.stateDirectory + "/agent"
                let agentConfig = """
                    agent: {id: web-1, hostname: web-1, state_dir: \(agentState)}
                    hub: {url: '\(hub.endpoint)', key: '\(key.base64)'}
                    listen: {host: 127.0.0.1, port: \(agentPort)}
                    responses: {block_ip: false}
                    detectors:
                      ssh: {sessions: false, brute_force: false}
                      cpu: {enabled: false}
                      listeners: {enabled: false}
                      http404: {enabled: false}
                      identity: {root: '\(tree.root)'}
                    """
                let (agent, agentLog) = try harness.startAgent(yaml: agentConfig, arguments: ["--log-format", "json"])
                defer {
                    agent.terminate()
                    agent.waitUntilExit()
                }
                // The watch is armed before the first baseline is written.
                try await waitUntil("the agent's identity baseline is formed", timeout: .seconds(30)) {
                    FileManager.default.fileExists(atPath: agentState + "/identity/baseline.json") || !agent.isRunning
                }
                #expect(agent.isRunning, "sentry-agent exited at start: see \(agentLog)")

                // Remove this key: exactly that line goes, the key there before stays.
                let intruder = try await tree.newKey("intruder", in: harness.stateDirectory)
                try await Tree.run("/usr/bin/tee", ["-a", tree.keys], input: intruder.line + "\n")
                let keyAlert = try await Self.message(telegram, containing: [intruder.fingerprint])
                #expect(keyAlert.buttonLabels.joined().contains("Revert"))
                let removed = try await Self.choose("Remove this key", on: keyAlert, telegram: telegram)
                #expect(removed.contains("Remove this key: done"), "\(removed)")
                let keysAfter = try String(contentsOfFile: tree.keys, encoding: .utf8)
                #expect(!keysAfter.contains(intruder.line) && keysAfter.contains(kept.line))

                // Revert is refused once the file changed again after the alert it was offered on.
                let second = try await tree.newKey("second", in: harness.stateDirectory)
                try await Tree.run("/usr/bin/tee", ["-a", tree.keys], input: second.line + "\n")
                let secondAlert = try await Self.message(telegram, containing: [second.fingerprint, "key added"])
                try await Tree.run("/usr/bin/tee", ["-a", tree.keys], input: "# changed again\n")
                _ = try await Self.message(telegram, containing: ["/home/\(tree.user)/.ssh/authorized_keys", "content changed"])
                let reverted = try await Self.choose("Revert", on: secondAlert, telegram: telegram)
                #expect(reverted.contains("Revert: refused"), "\(reverted)")
                #expect(reverted.contains("changed again since the alert"), "\(reverted)")
                #expect(try String(contentsOfFile: tree.keys, encoding: .utf8).contains(second.line), "a refused Revert changed nothing")

                // Remove from group: the member added with usermod -aG is out of the group, read back.
                try await Tree.run("/usr/sbin/usermod", ["--prefix", tree.root, "-aG", "sudo", tree.user])
                #expect(try tree.members(of: "sudo").contains(tree.user))
                let groupAlert = try await Self.message(telegram, containing: ["/etc/group", "\(tree.user) added to group sudo"])
                let out = try await Self.choose("Remove from group", on: groupAlert, telegram: telegram)
                #expect(out.contains("Remove from group: done"), "\(out)")
                #expect(try !tree.members(of: "sudo").contains(tree.user))
                #expect(await telegram.specViolations.isEmpty)
                await hub.stop()
            }
        }
    }
}
