import Foundation
import Logging
import Testing
import VigilTestSupport

@testable import BotHub
@testable import Shared

/// The buttons of an identity_change alert: what each sends to the agent, which need an admin and a second tap, and
/// the agent's refusal shown with its reason.
@Suite("Choices on an identity change", .serialized, .awaitsTeardown)
struct IdentityChoiceTests {
    typealias Fixture = ChoiceHandlerTests.Fixture
    static let fingerprint = "SHA256:uVA5O7gvBH9pTsWQ6sTQWmxVGlOGq1eB0N4cJ3mKk6E"
    static let after = String(repeating: "a", count: 64)
    static let before = String(repeating: "b", count: 64)
    static let evidence = IdentityEvidence(
        path: "/root/.ssh/authorized_keys", category: "authorized_keys",
        changes: [IdentityFact(change: "key_added", detail: "key added: ssh-ed25519 \(fingerprint) “mallory”", target: fingerprint, critical: true)],
        sizeBefore: 0, sizeAfter: 90, sha256After: after,
        writer: WriterEvidence(
            pid: 4242, pidStartTime: 777, exe: "/usr/bin/tee", commandLine: "tee -a authorized_keys", loginUID: 1000, loginUser: "alice",
            parents: ["sshd-session(4100)"], sshSessionPID: 4100, sshFrom: "203.0.113.9", sshSessionStartTime: 555),
        seenBy: "realtime", sha256Before: before)
    static let actions: [AlertAction] = [.acceptChange, .removeKey, .revertFile, .killWriter, .killSession, .blockIP1h]

    static func make() async throws -> Fixture {
        try await Fixture.make(actions: actions, kind: .identityChange, subject: .identity(evidence))
    }

    @Test("the message offers the agent's identity buttons with their labels")
    func labels() async throws {
        let hub = try await Self.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        let labels = await hub.telegram.message(hub.messageID)?.keyboard.flatMap { $0 }.map(\.text) ?? []
        #expect(labels == ["Accept", "Remove this key", "Revert", "Kill writer", "Kill session", "Block 1 h"])
    }

    @Test("Accept sends the path and the content the alert saw, at once, for an operator")
    func acceptAtOnce() async throws {
        let hub = try await Self.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.press(hub.data("accept_change"), by: ChoiceHandlerTests.bob)
        #expect(await hub.agent.commands.map(\.action) == [.acceptChange(path: "/root/.ssh/authorized_keys", sha256: Self.after)])
    }

    @Test("Remove this key needs an admin and a second tap, then sends the path and the fingerprint")
    func removeKeyIsConfirmed() async throws {
        let hub = try await Self.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.press(hub.data("remove_key"), by: ChoiceHandlerTests.bob)
        #expect(await hub.telegram.answers.last?.text == "Only admins may choose “Remove this key”.")
        await hub.press(hub.data("remove_key"), by: ChoiceHandlerTests.alice)
        #expect(await hub.agent.commands.isEmpty)
        #expect(await hub.shownHTML.contains("Really Remove this key on <b>web-1</b>?"))
        await hub.agent.answer(.done, detail: "removed key \(Self.fingerprint) from /root/.ssh/authorized_keys")
        await hub.press(hub.data("confirm_remove_key"), by: ChoiceHandlerTests.alice)
        #expect(await hub.agent.commands.map(\.action) == [.removeKey(path: "/root/.ssh/authorized_keys", fingerprint: Self.fingerprint)])
        #expect(await hub.shownHTML.contains("removed key \(Self.fingerprint)"))
    }

    @Test("Revert refused by the agent shows the reason; Kill writer and Kill session send the pids and start times")
    func revertRefusedAndKills() async throws {
        let hub = try await Self.make()
        atTestEnd { [agent = hub.agent] in await agent.stop() }
        await hub.agent.answer(.refused(reason: "/root/.ssh/authorized_keys changed again since the alert"))
        await hub.press(hub.data("revert_file"), by: ChoiceHandlerTests.alice)
        await hub.press(hub.data("confirm_revert_file"), by: ChoiceHandlerTests.alice)
        #expect(
            await hub.agent.commands.map(\.action) == [.revertFile(path: "/root/.ssh/authorized_keys", sha256: Self.after, sha256Before: Self.before)]
        )
        #expect(await hub.shownHTML.contains("Revert: refused by the agent (/root/.ssh/authorized_keys changed again since the alert)"))
        // Refused again (the writer ended), so the alert stays open for the next choice.
        await hub.agent.answer(.refused(reason: "the process has ended or its pid was reused"))
        await hub.press(hub.data("kill_writer"), by: ChoiceHandlerTests.alice)
        await hub.press(hub.data("confirm_kill_writer"), by: ChoiceHandlerTests.alice)
        await hub.press(hub.data("kill_session"), by: ChoiceHandlerTests.alice)
        #expect(
            await hub.agent.commands.map(\.action).suffix(2) == [.killWriter(pid: 4242, startTime: 777), .killSession(pid: 4100, startTime: 555)])
    }
}
