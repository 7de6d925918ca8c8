import ArgumentParser
import FoundationEssentials
import Shared

/// `sentry-agent identity-apply`: one identity answer (Revert, Remove this key, Lock user, Remove from group…)
/// checked and applied in this process, its report printed as one wire JSON line. The agent runs it in a transient
/// unit, outside its own sandbox (its unit makes `/etc` read-only to it), and reads the report back.
struct IdentityApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identity-apply",
        abstract: "Check and apply one answer to an identity_change alert; print its report as JSON (run by the agent).",
        shouldDisplay: false
    )

    @Option(name: .customLong("state-dir"), help: "The agent's state directory (the identity baseline and kept copies).")
    var stateDirectory: String

    @Option(help: "The identity watch's root.")
    var root = "/"

    @Argument(help: "The action as wire JSON, like {\"type\":\"lock_user\",\"user\":\"mallory\"}.")
    var action: String

    func validate() throws {
        guard stateDirectory.hasPrefix("/"), root.hasPrefix("/") else { throw ValidationError("--state-dir and --root must be absolute paths") }
    }

    func run() async throws {
        let decoded: ResponseAction
        do {
            decoded = try WireCoding.decode(ResponseAction.self, from: Array(action.utf8))
        } catch {
            throw ValidationError("not an action: \(error)")
        }
        let report = await IdentityActionRunner(stateDirectory: stateDirectory, root: root).apply(decoded)
        FileOutput.standardOutput.write(String(decoding: try WireCoding.encode(IdentityApplyAnswer(report)), as: UTF8.self) + "\n")
    }
}
