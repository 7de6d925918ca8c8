import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// The identity answers before anything runs: which are offered for which change, what is refused (paths the watch
/// does not record, names that are not account names, root), and how a file-writing one is handed to a transient unit.
@Suite("identity: answers")
struct IdentityActionRunnerTests {
    static let fingerprint = "SHA256:uVA5O7gvBH9pTsWQ6sTQWmxVGlOGq1eB0N4cJ3mKk6E"
    static let hash = String(repeating: "a", count: 64)

    static func detection(_ evidence: IdentityEvidence) -> Detection {
        Detection(kind: .identityChange, severity: .warning, subject: .identity(evidence), observedAt: 0, firstSeen: 0, lastSeen: 0)
    }

    static func evidence(
        path: String, category: String, _ facts: [IdentityFact], writer: WriterEvidence? = nil, before: String? = hash, size: Int? = 100
    ) -> IdentityEvidence {
        IdentityEvidence(
            path: path, category: category, changes: facts, sizeBefore: size, sizeAfter: 120, sha256After: hash, writer: writer, seenBy: "realtime",
            sha256Before: before)
    }

    /// A state directory whose identity baseline records these paths with these categories.
    static func state(_ records: [String: IdentityCategory]) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory("vigil-identity-answers")
        let stamp = FileStamp(inode: 1, size: 0, modified: 0, changed: 0, mode: 0o100600, owner: 0, group: 0)
        try IdentityStore(stateDirectory: directory.path).save(records.mapValues { IdentityStore.Record(stamp: stamp, sha256: hash, category: $0) })
        return directory
    }

    @Test("each change offers what acts on it: a key Remove this key, a sudo member Remove from group, a user Lock user, a kept file Revert")
    func offered() {
        var factory = AlertFactory(agentID: "a", hostname: "h", responses: ResponsesConfiguration())
        factory.processRuns = { pid, startTime in pid == 4242 && startTime == 777 }
        let key = Self.evidence(
            path: "/home/bob/.ssh/authorized_keys", category: "authorized_keys",
            [IdentityFact(change: "key_added", detail: "key added", target: Self.fingerprint)],
            writer: WriterEvidence(
                pid: 4242, pidStartTime: 777, exe: "/usr/bin/vim", commandLine: nil, loginUID: 1000, loginUser: "bob", parents: [],
                sshSessionPID: 4100, sshFrom: "203.0.113.9", sshSessionStartTime: 555))
        #expect(
            factory.actions(for: Self.detection(key)) == [
                .acceptChange, .removeKey, .revertFile, .killWriter, .killSession, .blockIP1h, .blockIP24h, .blockIPPermanent,
            ])
        let group = Self.evidence(
            path: "/etc/group", category: "group",
            [IdentityFact(change: "group_member_added", detail: "bob added to group sudo", target: "bob:sudo")],
            writer: WriterEvidence(pid: 5000, pidStartTime: 1, exe: "/usr/sbin/usermod", commandLine: nil, loginUID: nil, loginUser: nil, parents: [])
        )
        #expect(
            factory.actions(for: Self.detection(group)) == [.acceptChange, .removeFromGroup, .revertFile], "the writer has exited: no Kill writer")
        let user = Self.evidence(path: "/etc/passwd", category: "passwd", [IdentityFact(change: "user_added", detail: "user x added", target: "x")])
        #expect(factory.actions(for: Self.detection(user)) == [.acceptChange, .lockUser, .revertFile])
        let created = Self.evidence(path: "/etc/cron.d/x", category: "cron", [IdentityFact(change: "line_added", detail: "cron line")], before: nil)
        #expect(factory.actions(for: Self.detection(created)) == [.acceptChange], "a file that did not exist before has nothing to revert to")
        let unit = Self.evidence(path: "/etc/systemd/system/x.service", category: "unit", [IdentityFact(change: "unit_changed", detail: "unit")])
        #expect(factory.actions(for: Self.detection(unit)) == [.acceptChange], "a unit's content is not kept")
        var digest = user
        digest.digestPaths = ["/etc/passwd"]
        #expect(factory.actions(for: Self.detection(digest)) == [.acknowledge])
        var off = ResponsesConfiguration()
        off.acceptChange = false
        off.lockUser = false
        off.revertFile = false
        #expect(AlertFactory(agentID: "a", hostname: "h", responses: off).actions(for: Self.detection(user)) == [.acknowledge])
    }

    @Test(
        "bad input is refused before anything runs: a path the watch does not record, the wrong kind of file, shell metacharacters, root",
        arguments: [
            ResponseAction.removeKey(path: "/etc/hostname", fingerprint: fingerprint),
            .removeKey(path: "/etc/shadow", fingerprint: fingerprint),
            .removeKey(path: "/root/.ssh/authorized_keys", fingerprint: "SHA256:$(reboot)"),
            .revertFile(path: "/tmp/../etc/sudoers", sha256: hash, sha256Before: hash),
            .revertFile(path: "/etc/systemd/system/x.service", sha256: hash, sha256Before: hash),
            .revertFile(path: "/etc/sudoers", sha256: "../../x", sha256Before: hash),
            .acceptChange(path: "/var/lib/vigil-agent/identity/baseline.json", sha256: hash),
            .acceptChange(path: "../etc/passwd", sha256: nil),
            .lockUser(user: "root"), .lockUser(user: "bob; reboot"), .lockUser(user: "--help"), .lockUser(user: "$(id)"),
            .removeFromGroup(user: "bob`id`", group: "sudo"), .removeFromGroup(user: "bob", group: "sudo wheel"),
            .killWriter(pid: 1, startTime: 1), .killWriter(pid: -1, startTime: 1), .blockIP(ip: "203.0.113.9", durationSeconds: nil),
        ])
    func refusedBeforeRunning(action: ResponseAction) async throws {
        let state = try Self.state([
            "/root/.ssh/authorized_keys": .authorizedKeys, "/etc/shadow": .shadow, "/etc/sudoers": .sudoers, "/etc/systemd/system/x.service": .unit,
        ])
        defer { state.remove() }
        let runner = RecordingCommandRunner()
        var answers = IdentityActionRunner(stateDirectory: state.path, root: "/nonexistent-root", runner: runner)
        answers.launch = .transientUnit
        let report = await answers.run(action, commandID: UUID())
        guard case .refused = report.outcome else {
            Issue.record("\(action) was not refused: \(report)")
            return
        }
        #expect(runner.invocations.isEmpty, "nothing ran for \(action)")
    }

    @Test(
        "under systemd a file-writing answer runs as `systemd-run --wait --pipe … sentry-agent identity-apply`, argv only, and its report comes back")
    func transientUnit() async throws {
        let state = try Self.state(["/root/.ssh/authorized_keys": .authorizedKeys])
        defer { state.remove() }
        let answer = IdentityApplyAnswer(.done("removed key \(Self.fingerprint) from /root/.ssh/authorized_keys"))
        let printed = String(decoding: try WireCoding.encode(answer), as: UTF8.self) + "\n"
        let runner = RecordingCommandRunner { _ in .success(printed) }
        var answers = IdentityActionRunner(stateDirectory: state.path, root: "/", runner: runner)
        answers.launch = .transientUnit
        answers.executable = "/usr/local/bin/sentry-agent"
        let id = UUID(uuidString: "0D3F2C1B-0000-4000-8000-000000000001")!
        let action = ResponseAction.removeKey(path: "/root/.ssh/authorized_keys", fingerprint: Self.fingerprint)
        #expect(await answers.run(action, commandID: id) == answer.report)
        let invocation = try #require(runner.invocations.first)
        #expect(invocation.executable == "/usr/bin/systemd-run")
        #expect(
            invocation.arguments == [
                "--unit=vigil-identity-0d3f2c1b-0000-4000-8000-000000000001", "--collect", "--quiet", "--wait", "--pipe", "--",
                "/usr/local/bin/sentry-agent", "identity-apply", "--state-dir", state.path, "--root", "/",
                String(decoding: try WireCoding.encode(action), as: UTF8.self),
            ])
        // Accept and Kill writer change nothing under /etc: they run in the agent itself, no unit.
        _ = await answers.run(.acceptChange(path: "/root/.ssh/authorized_keys", sha256: Self.hash), commandID: UUID())
        #expect(runner.invocations.count == 1)
        #expect(IdentityApplyAnswer.report(from: .failure(stderr: "Failed to start transient service unit")).outcome != .done)
    }

    @Test("the dry run checks, then runs nothing")
    func dryRun() async throws {
        let state = try Self.state(["/etc/group": .group])
        defer { state.remove() }
        let runner = RecordingCommandRunner()
        var answers = IdentityActionRunner(stateDirectory: state.path, root: "/", runner: runner)
        answers.dryRun = true
        let report = await answers.run(.removeFromGroup(user: "bob", group: "sudo"), commandID: UUID())
        #expect(report == .done("dry run: would run remove_from_group (nothing changed)"))
        #expect(runner.invocations.isEmpty)
    }

    @Test("a fingerprint is SHA256: and 43 base64 characters")
    func fingerprints() {
        #expect(AuthorizedKey.isFingerprint(Self.fingerprint))
        for bad in ["", "SHA256:", "MD5:aa", "SHA256:" + String(repeating: "a", count: 42), "SHA256:" + String(repeating: "a", count: 42) + ";"] {
            #expect(!AuthorizedKey.isFingerprint(bad), "\(bad)")
        }
    }
}
