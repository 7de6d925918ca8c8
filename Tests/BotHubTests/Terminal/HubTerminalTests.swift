import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

/// The `bothub` binary as a terminal operator meets it: a hub's state directory with alerts, heartbeats, blocks and an
/// audit trail (written through the store, as the running hub writes them), a fake agent over loopback, and each
/// command's printed lines and exit status.
extension HubProcessTests {
    @Suite("Hub terminal", .serialized)
    struct HubTerminalTests {
        static var binary: String { HubRestartTests.binary }
        static let enabled = Testing.ConditionTrait.enabled(
            if: FileManager.default.isExecutableFile(atPath: binary), "needs the bothub binary (swift build --build-tests)")

        /// What one run printed and how it ended.
        struct Run {
            var status: Int32
            var output: String
            var errors: String
        }

        /// A hub state directory with a config file naming `agents`; no Telegram token (choices come from the terminal).
        struct Hub {
            let directory: String
            let config: String
            let store: HubStore

            static func make(agents: [HubConfiguration.AgentEntry], operators: String = "", createDatabase: Bool = true) throws -> Hub {
                let directory = try TemporaryDirectory.forTestRun("vigil-cli")
                try FileManager.default.createDirectory(atPath: directory + "/state", withIntermediateDirectories: true)
                let agentLines = agents.map { "  - id: \($0.id)\n    url: \($0.responseEndpoint)\n    key: \"\($0.key.base64)\"" }
                let yaml = """
                    hub:
                      state_dir: \(directory)/state
                    telegram:
                      token: "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                      api_url: http://127.0.0.1:9
                      chats:
                        - id: -100
                          operators:
                            - {id: 22, name: bob, role: admin}
                    \(operators)
                    agents:
                    \(agentLines.joined(separator: "\n"))
                    """
                try yaml.write(toFile: directory + "/hub.yml", atomically: true, encoding: .utf8)
                let store = createDatabase ? try HubStore.open(path: directory + "/state/hub.sqlite") : try HubStore.inMemory()
                return Hub(directory: directory, config: directory + "/hub.yml", store: store)
            }

            func run(_ arguments: [String]) async throws -> Run {
                var arguments = arguments
                arguments += ["--config", config]
                if ["alerts", "show", "choose"].contains(arguments[0]) { arguments += ["--translations", repositoryPath("translations")] }
                let run = try await ProgramRun.run([HubTerminalTests.binary] + arguments)
                return Run(status: run.status, output: run.output, errors: run.errors)
            }

            func cleanUp() {
                try? FileManager.default.removeItem(atPath: directory)
            }
        }

        static func bruteForce(ip: String = "203.0.113.7", actions: [AlertAction] = [.acknowledge, .blockIP1h, .blockIP24h]) -> Alert {
            Alert(
                agent: "web-1", hostname: "web-1", kind: .sshBruteForce, severity: .warning, observedAt: Date(),
                subject: .sshBruteForce(SSHBruteForceEvidence(ip: ip, attempts: 12, users: ["root", "admin"], windowSeconds: 60)),
                actions: actions)
        }

        @Test("alerts: a header, the subject, the choices left; --json; show has the evidence; ids in any case and as UUIDs", enabled)
        func alertsAndShow() async throws {
            let hub = try Hub.make(agents: [])
            defer { hub.cleanUp() }
            let alert = Self.bruteForce()
            let cpu = Alert(
                agent: "db-1", hostname: "db-1", kind: .cpuSustained, severity: .critical, observedAt: Date(),
                subject: .cpu(CPUEvidence(percent: 97.25, windowSeconds: 3600, topProcesses: [])), actions: [.acknowledge])
            _ = try hub.store.recordAlert(alert, chats: [], now: Date())
            _ = try hub.store.recordAlert(cpu, chats: [], now: Date().addingTimeInterval(1))
            let short = ShortID.make(alert.id)

            let list = try await hub.run(["alerts"])
            #expect(list.status == 0)
            let lines = list.output.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("ID") == true && lines.first?.contains("SUBJECT") == true && lines.first?.contains("CHOICES") == true)
            #expect(
                lines.contains {
                    $0.hasPrefix(short) && $0.contains("203.0.113.7 (12 failures)") && $0.contains("acknowledge,block_ip_1h,block_ip_24h")
                })
            #expect(lines.contains { $0.contains("97.2% CPU") || $0.contains("97.3% CPU") })

            let json = try await hub.run(["alerts", "--json"])
            let decoded = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [[String: Any]])
            #expect(decoded.count == 2)
            #expect(
                decoded.contains {
                    ($0["shortId"] as? String) == short && ($0["available"] as? [String]) == ["acknowledge", "block_ip_1h", "block_ip_24h"]
                })

            for id in [short.uppercased(), alert.id.uuidString, alert.id.uuidString.lowercased()] {
                let shown = try await hub.run(["show", id])
                #expect(shown.status == 0, "\(id): \(shown.errors)")
                #expect(shown.output.contains("203.0.113.7 failed 12 times in the last minute; users tried: root, admin"))
                #expect(shown.output.contains("choices   acknowledge, block_ip_1h, block_ip_24h"))
            }
            let missing = try await hub.run(["show", "000000000000"])
            #expect(missing.status == 1)
            #expect(missing.errors.contains("no alert 000000000000"))
        }

        @Test("choose speaks the terminal's language: unknown alert, action not offered, the result of this command, exit status", enabled)
        func choose() async throws {
            let agent = FakeAgent()
            try await agent.start()
            atTestEnd { [agent] in await agent.stop() }
            // web-2's port has nothing listening on it.
            let down = HubConfiguration.AgentEntry(
                id: "web-2", responseEndpoint: HTTPEndpoint(host: "127.0.0.1", port: try FreePort.loopback()), key: AgentKey.generate())
            let hub = try Hub.make(agents: [await agent.entry, down])
            defer { hub.cleanUp() }
            let alert = Self.bruteForce()
            _ = try hub.store.recordAlert(alert, chats: [], now: Date())
            let short = ShortID.make(alert.id)

            let unknown = try await hub.run(["choose", "000000000000", "block_ip_1h"])
            #expect(unknown.status == 1)
            #expect(unknown.errors.contains("no alert 000000000000"))

            let notOffered = try await hub.run(["choose", short, "reboot"])
            #expect(notOffered.status == 1)
            #expect(notOffered.errors.contains("reboot is not offered for \(short) (offered: acknowledge, block_ip_1h, block_ip_24h)"))
            #expect(await agent.commands.isEmpty)

            await agent.answer(.done, detail: "blocked 203.0.113.7 for 1h")
            let blocked = try await hub.run(["choose", short.uppercased(), "block_ip_1h"])
            #expect(blocked.status == 0, "\(blocked.errors)")
            #expect(blocked.output == "block_ip_1h on web-1/\(short) → done (blocked 203.0.113.7 for 1h)\n")

            // The unblock prints its own result, not the block's.
            await agent.answer(.done, detail: "unblocked 203.0.113.7")
            let unblocked = try await hub.run(["choose", short, "unblock"])
            #expect(unblocked.status == 0, "\(unblocked.errors)")
            #expect(unblocked.output == "unblock on web-1/\(short) → done (unblocked 203.0.113.7)\n")
            #expect(await agent.commands.map(\.action).last == .unblockIP(ip: "203.0.113.7"))

            // Refused by the agent, and an agent that is not there: both exit 1 and say why.
            let second = Self.bruteForce(ip: "203.0.113.8")
            _ = try hub.store.recordAlert(second, chats: [], now: Date())
            await agent.answer(.refused(reason: "203.0.113.8 is in never_block"))
            let refused = try await hub.run(["choose", ShortID.make(second.id), "block_ip_24h"])
            #expect(refused.status == 1)
            #expect(refused.output.contains("block_ip_24h on web-1/\(ShortID.make(second.id)) → refused by the agent: 203.0.113.8 is in never_block"))
            var elsewhere = Self.bruteForce(ip: "203.0.113.9")
            elsewhere.agent = "web-2"
            _ = try hub.store.recordAlert(elsewhere, chats: [], now: Date())
            let unreachable = try await hub.run(["choose", ShortID.make(elsewhere.id), "block_ip_1h"])
            #expect(unreachable.status == 1)
            #expect(
                unreachable.output
                    == "block_ip_1h on web-2/\(ShortID.make(elsewhere.id)) → failed: connection refused (is sentry-agent running on \(down.responseEndpoint.host):\(down.responseEndpoint.port)?)\n"
            )
        }

        @Test("a missing database is named with what to do, not as SQLite error 14", enabled)
        func missingDatabase() async throws {
            let hub = try Hub.make(agents: [], createDatabase: false)
            defer { hub.cleanUp() }
            for command in [["alerts"], ["status"], ["audit"], ["blocks"], ["show", "000000000000"]] {
                let run = try await hub.run(command)
                #expect(run.status == 1, "\(command)")
                #expect(run.errors.contains("no database at \(hub.directory)/state/hub.sqlite: has `bothub run"), "\(command): \(run.errors)")
                #expect(!run.errors.contains("SQLite error"))
                #expect(!FileManager.default.fileExists(atPath: "\(hub.directory)/state/hub.sqlite"), "a read creates no database")
            }
        }

        @Test("status: version, heartbeat age, outbox, drops, unhealthy inputs, mutes, Telegram as last recorded", enabled)
        func status() async throws {
            let web = HubConfiguration.AgentEntry(id: "web-1", responseEndpoint: HTTPEndpoint(host: "127.0.0.1", port: 9), key: AgentKey.generate())
            let db = HubConfiguration.AgentEntry(id: "db-1", responseEndpoint: HTTPEndpoint(host: "127.0.0.1", port: 9), key: AgentKey.generate())
            let hub = try Hub.make(agents: [web, db])
            defer { hub.cleanUp() }
            let heartbeat = Heartbeat(
                agent: "web-1", version: "0.9.1", uptimeSeconds: 100, sentAt: Date(), queueDepth: 3, dropped: 1,
                detectors: [
                    DetectorHealth(name: "nginx_404", linesRead: nil, lastLineAt: nil, problem: "/var/log/nginx/access.log: permission denied")
                ])
            try await hub.store.recordHeartbeat(
                heartbeat, payload: String(decoding: try WireCoding.encode(heartbeat), as: UTF8.self), at: Date().addingTimeInterval(-25))
            try await hub.store.mute(
                ChatMute(chatId: -100, target: "ssh_session", until: Date().addingTimeInterval(3900), includesCritical: false, mutedBy: "bob"))
            try hub.store.saveTelegramReachability(
                TelegramReachability(reachable: false, since: Date(), lastCallAt: Date(), error: "getUpdates: network: connection refused"))

            let run = try await hub.run(["status"])
            #expect(run.status == 0, "\(run.errors)")
            #expect(run.output.contains("telegram  UNREACHABLE since"))
            #expect(run.output.contains("getUpdates: network: connection refused"))
            let web1 = try #require(run.output.split(separator: "\n").first { $0.hasPrefix("web-1") })
            #expect(web1.contains("0.9.1") && web1.contains("25 s ago") && web1.contains("nginx_404: /var/log/nginx/access.log: permission denied"))
            let db1 = try #require(run.output.split(separator: "\n").first { $0.hasPrefix("db-1") })
            #expect(db1.contains("never"))
            #expect(run.output.contains("chat -100:\n    ssh_session until"))
            #expect(run.output.contains("(1 h 5 min left; by bob)") || run.output.contains("(1 h 4 min left; by bob)"))

            let statusJSON = try await hub.run(["status", "--json"]).output
            let json = try #require(try JSONSerialization.jsonObject(with: Data(statusJSON.utf8)) as? [String: Any])
            let agents = try #require(json["agents"] as? [[String: Any]])
            #expect(agents.first { ($0["id"] as? String) == "web-1" }?["outbox"] as? Int == 3)
        }

        @Test("blocks, unblock, mute and unmute from the terminal, audited with the operator's configured name and full arguments", enabled)
        func blocksUnblockMuteAudit() async throws {
            let agent = FakeAgent()
            try await agent.start()
            atTestEnd { [agent] in await agent.stop() }
            let hub = try Hub.make(agents: [await agent.entry])
            defer { hub.cleanUp() }
            let alert = Self.bruteForce()
            _ = try hub.store.recordAlert(alert, chats: [], now: Date())
            // A press as the running hub records it: by Telegram user 22, configured as bob.
            try await hub.store.audit(
                "press", actor: "@bobby", actorID: 22, alertID: alert.id.uuidString, detail: "block_ip_1h by user 22", at: Date())

            let empty = try await hub.run(["blocks"])
            #expect(empty.status == 0)
            #expect(empty.output == "No active blocks.\n")

            let unknown = try await hub.run(["unblock", "nope", "203.0.113.7"])
            #expect(unknown.status == 1)
            #expect(unknown.errors.contains("unknown agent nope (known: web-1)"))

            await agent.answer(.done, detail: "unblocked 203.0.113.7")
            let unblock = try await hub.run(["unblock", "web-1", "203.0.113.7"])
            #expect(unblock.status == 0, "\(unblock.errors)")
            #expect(unblock.output == "unblock 203.0.113.7 on web-1 → done (unblocked 203.0.113.7)\n")
            #expect(await agent.commands.map(\.action) == [.unblockIP(ip: "203.0.113.7")])

            // One chat configured: the mute is in that chat.
            #expect(try await hub.run(["mute", "web-1", "2h"]).output.hasPrefix("web-1 muted in chat -100 until "))
            #expect(
                try hub.store.activeMutes(now: Date()).map { "\($0.chatId) \($0.target) \($0.mutedBy)" } == [
                    "-100 web-1 \(HubTerminal.localOperator.name)"
                ])
            let badMute = try await hub.run(["mute", "nothing", "2h"])
            #expect(badMute.status == 1)
            #expect(badMute.errors.contains("nothing is neither an agent nor an alert kind"))
            #expect(try await hub.run(["unmute", "web-1"]).output == "web-1 unmuted in chat -100.\n")
            #expect(try await hub.run(["unmute", "web-1"]).status == 1)

            let audit = try await hub.run(["audit", "--ip", "203.0.113.7"])
            #expect(audit.status == 0)
            let lines = audit.output.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("TIME") == true)
            #expect(lines.contains { $0.contains("press") && $0.contains("bob (id 22)") && $0.contains(ShortID.make(alert.id)) })
            #expect(lines.contains { $0.contains("command") && $0.contains("unblock_ip ip=203.0.113.7 → web-1") && $0.contains("local:") })
            #expect(
                lines.allSatisfy { $0.hasPrefix("TIME") || $0.range(of: #"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"#, options: .regularExpression) != nil }
            )
            let commands = try await hub.run(["audit", "--kind", "command", "--agent", "web-1", "--json"])
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(commands.output.utf8)) as? [[String: Any]])
            #expect(rows.count == 1)
            #expect(rows.first?["event"] as? String == "command")
        }
    }
}

/// How the terminal names a chat for a mute and an alert by a longer short id.
@Suite("Hub terminal arguments", .serialized, .system)
struct HubTerminalArgumentTests {
    static func configuration(chats: [Int64]) throws -> HubConfiguration {
        let lines = chats.map { "    - id: \($0)\n      operators:\n        - {id: 22, name: bob, role: admin}" }
        return try HubConfiguration.parse(yaml: "telegram:\n  chats:\n\(lines.joined(separator: "\n"))\n", environment: [:])
    }

    @Test("bothub mute: the only chat by default; with several, --chat is required and must be configured")
    func muteChat() throws {
        #expect(try MuteCommand.chat(nil, in: Self.configuration(chats: [-100])) == -100)
        let two = try Self.configuration(chats: [-100, -200])
        #expect(try MuteCommand.chat(-200, in: two) == -200)
        #expect(throws: TerminalError.self) { try MuteCommand.chat(nil, in: two) }
        #expect(throws: TerminalError.self) { try MuteCommand.chat(-300, in: two) }
        #expect(throws: TerminalError.self) { try MuteCommand.chat(nil, in: Self.configuration(chats: [])) }
    }

    @Test("an alert is named by a 12- to 24-digit short id or by its UUID (a 32-digit short id is the UUID)")
    func alertReference() {
        #expect(AlertReference("6F1C2A3B4D5E") == .short("6f1c2a3b4d5e"))
        #expect(AlertReference("6f1c2a3b4d5e7f80") == .short("6f1c2a3b4d5e7f80"))
        let uuid = UUID()
        #expect(AlertReference(uuid.uuidString) == .full(uuid))
        #expect(AlertReference(uuid.uuidString.replacingOccurrences(of: "-", with: "")) == .full(uuid))
        #expect(AlertReference("6f1c2a3b4d5") == nil)
    }
}
