import Foundation
import GRDB
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

/// The hub as an operator meets it: a sealed alert arrives, a message with buttons appears in the (fake) Telegram
/// chat, a press reaches the agent sealed, and the message shows the outcome and who chose it.
@Suite("Hub end to end", .serialized, .system)
struct HubEndToEndTests {
    /// The delivery state of one alert's message in one chat (`pending`, `sent`, `muted`, `failed`), read as the
    /// notifier left it.
    static func messageState(in store: HubStore, alertID: String, chatID: Int64) throws -> String? {
        try store.writer.read { db in
            try String.fetchOne(db, sql: "SELECT state FROM message WHERE alertId = ? AND chatId = ?", arguments: [alertID, chatID])
        }
    }

    static func sshAlert() -> Alert {
        Alert(
            agent: "web-1",
            hostname: "web-1",
            kind: .sshSession,
            severity: .warning,
            observedAt: Date(),
            subject: .sshSession(
                SSHSessionEvidence(user: "root", ip: "203.0.113.50", port: 41_000, method: "password", pid: 999, pidStartTime: 12_345)),
            actions: [.acknowledge, .killSession, .blockIP1h, .reboot]
        )
    }

    @Test("alert → message with buttons → press → sealed command → message edited with outcome and who chose it")
    func alertToOutcome() async throws {
        let agent = FakeAgent()
        try await agent.start()
        atTestEnd { [agent] in await agent.stop() }
        try await FakeTelegramServer.withServer { telegram in
            let hub = try await HubHarness.make(telegram: telegram, agents: [await agent.entry])
            defer { hub.cleanUp() }
            try await hub.run { runtime, endpoint in
                let alert = Self.sshAlert()
                let client = SealedClient(endpoint: endpoint, agentID: "web-1", key: agent.key)
                _ = try await client.post("/alert", body: try WireCoding.encode(alert))

                let shown = try await telegram.waitUntil { $0.botMessages(in: HubHarness.chatID).first }
                #expect(shown.text.contains("web-1"))
                #expect(shown.text.contains("203.0.113.50"))
                #expect(shown.buttonLabels.joined().contains("Block 1 h"))
                #expect(shown.parseMode == "HTML")

                await agent.answer(.done, detail: "203.0.113.50 added to blocked4, expires in 1h")
                let query = try await telegram.pressButton(
                    chatID: HubHarness.chatID, messageID: shown.messageID, userID: HubHarness.viewer.id, label: "Block 1 h")
                let edited = try await telegram.waitUntil { server in
                    server.message(in: HubHarness.chatID, id: shown.messageID).flatMap { $0.text.contains("done") ? $0 : nil }
                }
                #expect(edited.text.contains("Chosen by @bob"))
                #expect(edited.buttonLabels == [["Unblock 203.0.113.50"]])
                #expect(await telegram.answer(to: query) != nil, "the press was answered")
                #expect(await agent.commands.map(\.action) == [.blockIP(ip: "203.0.113.50", durationSeconds: 3600)])
                #expect(
                    runtime.metrics.value(
                        "vigil_hub_alerts_received_total", labels: ["kind": "ssh_session", "severity": "warning", "duplicate": "false"]) == 1)
                #expect(runtime.metrics.value("vigil_hub_commands_total", labels: ["agent": "web-1", "outcome": "done"]) == 1)
                #expect(runtime.metrics.value("vigil_telegram_calls_total", labels: ["method": "sendMessage", "status": "200"]) == 1)

                // /blocks asks the agent itself and offers an Unblock button for the block.
                try await telegram.sendText(chatID: HubHarness.chatID, userID: HubHarness.viewer.id, text: "/blocks")
                let list = try await telegram.waitUntil { server in
                    server.botMessages(in: HubHarness.chatID).last.flatMap { $0.text.contains("Active blocks") ? $0 : nil }
                }
                #expect(list.text.contains("web-1: 203.0.113.50 (1 h)"))
                #expect(list.buttonLabels == [["Unblock 203.0.113.50"]])

                // /unblock from the chat: a bad address gets the usage, a good one reaches the agent sealed.
                try await telegram.sendText(chatID: HubHarness.chatID, userID: HubHarness.viewer.id, text: "/unblock web-1 203.0.113.50;reboot")
                let usage = try await telegram.waitUntil { server in
                    server.botMessages(in: HubHarness.chatID).last.flatMap { $0.text.hasPrefix("Usage: /unblock") ? $0 : nil }
                }
                #expect(usage.text == "Usage: /unblock AGENT IP")
                try await telegram.sendText(chatID: HubHarness.chatID, userID: HubHarness.viewer.id, text: "/unblock web-1 203.0.113.50")
                let unblocked = try await telegram.waitUntil { server in
                    server.botMessages(in: HubHarness.chatID).last.flatMap { $0.text.contains("Unblock 203.0.113.50: done") ? $0 : nil }
                }
                #expect(unblocked.text.contains("Chosen by @bob"))
                #expect(await agent.commands.map(\.action).last == .unblockIP(ip: "203.0.113.50"))
                #expect(await telegram.specViolations.isEmpty)
            }
        }
    }

    @Test("a press in an English chat: the Spanish chat reads the outcome in Spanish, with its own words and times")
    func outcomeInEachChatsLanguage() async throws {
        let agent = FakeAgent()
        try await agent.start()
        atTestEnd { [agent] in await agent.stop() }
        try await FakeTelegramServer.withServer { telegram in
            let spanishChat: Int64 = -1_001_000_000_002
            await telegram.addChat(spanishChat)
            let hub = try await HubHarness.make(
                telegram: telegram, agents: [await agent.entry],
                otherChats:
                    "    - id: \(spanishChat)\n      language: es\n      operators:\n        - {id: \(HubHarness.viewer.id), name: bob, role: operator}"
            )
            defer { hub.cleanUp() }
            try await hub.run { _, endpoint in
                let client = SealedClient(endpoint: endpoint, agentID: "web-1", key: agent.key)
                var brute = Self.sshAlert()
                brute.kind = .sshBruteForce
                brute.subject = .sshBruteForce(SSHBruteForceEvidence(ip: "203.0.113.50", attempts: 1, users: ["root"], windowSeconds: 60))
                brute.actions = [.acknowledge, .blockIP1h]
                _ = try await client.post("/alert", body: try WireCoding.encode(brute))
                let english = try await telegram.waitUntil { $0.botMessages(in: HubHarness.chatID).first }
                let spanish = try await telegram.waitUntil { $0.botMessages(in: spanishChat).first }
                // Plurals and windows from the catalog, one time format, no ISO dates.
                #expect(english.text.contains("203.0.113.50 failed 1 time in the last minute"))
                #expect(spanish.text.contains("203.0.113.50 falló 1 vez en el último minuto"))
                #expect(spanish.text.contains("Detectado el ") && spanish.text.contains(" UTC"))
                #expect(!spanish.text.contains("a las"))

                await agent.answer(.done)
                _ = try await telegram.pressButton(
                    chatID: HubHarness.chatID, messageID: english.messageID, userID: HubHarness.viewer.id, label: "Block 1 h")
                let edited = try await telegram.waitUntil { server in
                    server.message(in: spanishChat, id: spanish.messageID).flatMap { $0.text.contains("hecho") ? $0 : nil }
                }
                #expect(edited.text.contains("✅ Bloquear 1 h: hecho. Elegido por @bob el "))
                #expect(edited.buttonLabels == [["Desbloquear 203.0.113.50"]])
                let englishEdited = try await telegram.waitUntil { server in
                    server.message(in: HubHarness.chatID, id: english.messageID).flatMap { $0.text.contains("done") ? $0 : nil }
                }
                #expect(englishEdited.text.contains("✅ Block 1 h: done. Chosen by @bob at "))

                // /status answers with ages and counted phrases in the chat's language.
                try await telegram.sendText(chatID: spanishChat, userID: HubHarness.viewer.id, text: "/status")
                let status = try await telegram.waitUntil { server in
                    server.botMessages(in: spanishChat).last.flatMap { $0.text.contains("Agentes") ? $0 : nil }
                }
                #expect(status.text.contains("web-1: último latido nunca, 0 alertas abiertas"))
                #expect(await telegram.specViolations.isEmpty)
            }
        }
    }

    @Test("a stranger's press is refused with a toast, audited, and nothing reaches the agent")
    func strangerPress() async throws {
        let agent = FakeAgent()
        try await agent.start()
        atTestEnd { [agent] in await agent.stop() }
        try await FakeTelegramServer.withServer { telegram in
            let hub = try await HubHarness.make(telegram: telegram, agents: [await agent.entry])
            defer { hub.cleanUp() }
            try await hub.run { runtime, endpoint in
                let client = SealedClient(endpoint: endpoint, agentID: "web-1", key: agent.key)
                _ = try await client.post("/alert", body: try WireCoding.encode(Self.sshAlert()))
                let shown = try await telegram.waitUntil { $0.botMessages(in: HubHarness.chatID).first }
                let query = try await telegram.pressButton(
                    chatID: HubHarness.chatID, messageID: shown.messageID, userID: HubHarness.stranger.id, label: "Kill session")
                let answer = try await telegram.waitUntil { $0.answer(to: query) }
                #expect(answer.text?.contains("not an operator") == true)
                #expect(answer.showAlert)
                // The audit row is the last step of a refused press: once it is there, no command can still be on its way.
                try await waitUntil("the refused press is audited") {
                    try runtime.store.auditEntries(since: .distantPast).contains { $0.event == "press_refused" && $0.actor == "@mallory" }
                }
                #expect(await agent.commands.isEmpty)
            }
        }
    }

    @Test("chat commands: /start tells ids and authorization; strangers get /start only; /lang switches the language")
    func chatCommands() async throws {
        try await FakeTelegramServer.withServer { telegram in
            let hub = try await HubHarness.make(telegram: telegram, agents: [])
            defer { hub.cleanUp() }
            await telegram.addChat(HubHarness.stranger.id)
            try await hub.run { _, _ in
                try await telegram.sendText(chatID: HubHarness.chatID, userID: HubHarness.admin.id, text: "/start")
                let start = try await telegram.waitUntil { $0.botMessages(in: HubHarness.chatID).last }
                #expect(start.text.contains(String(HubHarness.chatID)))
                #expect(start.text.contains("role admin"))

                try await telegram.sendText(chatID: HubHarness.stranger.id, userID: HubHarness.stranger.id, text: "/status")
                let refused = try await telegram.waitUntil { $0.botMessages(in: HubHarness.stranger.id).last }
                #expect(refused.text == "Only operators of this chat may use this command.")

                try await telegram.sendText(chatID: HubHarness.chatID, userID: HubHarness.viewer.id, text: "/lang es")
                _ = try await telegram.waitUntil { server in server.botMessages(in: HubHarness.chatID).count >= 2 ? true : nil }
                try await telegram.sendText(chatID: HubHarness.chatID, userID: HubHarness.viewer.id, text: "/status@vigil_test_bot")
                let status = try await telegram.waitUntil { server in
                    server.botMessages(in: HubHarness.chatID).count >= 3 ? server.botMessages(in: HubHarness.chatID).last : nil
                }
                #expect(status.text.contains("No hay agentes inscritos."))
                #expect(await telegram.specViolations.isEmpty)
            }
        }
    }

    @Test("/mute holds an agent's alerts back, /unmute lets new ones through")
    func mute() async throws {
        let agent = FakeAgent()
        try await agent.start()
        atTestEnd { [agent] in await agent.stop() }
        try await FakeTelegramServer.withServer { telegram in
            let hub = try await HubHarness.make(telegram: telegram, agents: [await agent.entry])
            defer { hub.cleanUp() }
            try await hub.run { runtime, endpoint in
                try await telegram.sendText(chatID: HubHarness.chatID, userID: HubHarness.viewer.id, text: "/mute web-1 1h")
                let reply = try await telegram.waitUntil { $0.botMessages(in: HubHarness.chatID).last }
                #expect(reply.text.contains("web-1 muted in this chat until"))
                let client = SealedClient(endpoint: endpoint, agentID: "web-1", key: agent.key)
                let muted = Self.sshAlert()
                _ = try await client.post("/alert", body: try WireCoding.encode(muted))
                // The notifier's decision is the completion signal: the alert's message row is settled as muted.
                try await waitUntil("the muted alert's message is recorded as muted") {
                    try Self.messageState(in: runtime.store, alertID: muted.id.uuidString, chatID: HubHarness.chatID) == "muted"
                }
                #expect(await telegram.botMessages(in: HubHarness.chatID).count == 1, "the muted alert is not shown")

                try await telegram.sendText(chatID: HubHarness.chatID, userID: HubHarness.viewer.id, text: "/unmute web-1")
                _ = try await telegram.waitUntil { server in server.botMessages(in: HubHarness.chatID).count >= 2 ? true : nil }
                _ = try await client.post("/alert", body: try WireCoding.encode(Self.sshAlert()))
                let shown = try await telegram.waitUntil { server in
                    server.botMessages(in: HubHarness.chatID).count >= 3 ? server.botMessages(in: HubHarness.chatID).last : nil
                }
                #expect(shown.text.contains("203.0.113.50"))
            }
        }
    }
}
