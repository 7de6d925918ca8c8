import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

#if canImport(Glibc)
    import Glibc
#endif

/// The identity responses on real files and real tools, each verified by reading the files back.
@Suite("identity: responses", .serialized, .system)
struct IdentityResponderSystemTests {
    static let canRun = SystemRequirements.isRoot && ["useradd", "usermod", "gpasswd", "userdel", "tee", "sleep"].allSatisfy(SystemRequirements.has)
    static let reason: Comment = "needs root and useradd, usermod, gpasswd, userdel, tee, sleep"

    static func monitor(_ tree: IdentityTree) -> IdentityMonitor {
        IdentityMonitor(
            watched: WatchedSet(root: tree.root), detector: IdentityDetector(), store: IdentityStore(stateDirectory: tree.state.path),
            logger: Logger(label: "identity-test"), packageLockHeld: { false })
    }

    static func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    @Test("Revert restores the content from before the change, and refuses once the file changed again", .enabled(if: canRun, reason))
    func revert() async throws {
        let tree = try IdentityTree()
        defer { tree.tree.remove(); tree.state.remove() }
        let sudoers = tree.root + "/etc/sudoers"
        let original = try Self.read(sudoers)
        var monitor = Self.monitor(tree)
        _ = monitor.start(time: 0)
        try await IdentityTree.run("/usr/bin/tee", ["-a", sudoers], input: "mallory ALL=(ALL) NOPASSWD: ALL\n")
        let found = monitor.rescan(seenBy: "rescan", time: 1).compactMap(IdentityTree.evidence)
        let evidence = try #require(found.first { $0.path == "/etc/sudoers" })
        let responder = IdentityResponder(store: monitor.store, root: tree.root)
        let after = try #require(evidence.sha256After)
        let before = try #require(evidence.sha256Before)
        #expect(responder.revert(path: "/etc/sudoers", expectedSHA256: "0" + after.dropFirst(), previousSHA256: before).outcome != .done)
        #expect(responder.revert(path: "/etc/sudoers", expectedSHA256: after, previousSHA256: before).outcome == .done)
        #expect(try Self.read(sudoers) == original)
        // The file now differs from what the alert saw: a second Revert must not touch it.
        #expect(responder.revert(path: "/etc/sudoers", expectedSHA256: after, previousSHA256: before).outcome != .done)
    }

    @Test("Remove this key removes exactly that authorized_keys line", .enabled(if: canRun, reason))
    func removeKey() throws {
        let tree = try IdentityTree()
        defer { tree.tree.remove(); tree.state.remove() }
        let keys = tree.root + "/root/.ssh/authorized_keys"
        let other = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC4i8yHxwNCmDzl0tJmxHjC3cl1mZy0F4z7E3cvx9Gg6 keep@me"
        try IdentityTree.write(keys, "# admins\n\(other)\nfrom=\"10.0.0.1\" \(IdentityDiffTests.key) intruder\n")
        let fingerprint = try #require(AuthorizedKey(line: Substring(IdentityDiffTests.key))?.fingerprint)
        let responder = IdentityResponder(store: IdentityStore(stateDirectory: tree.state.path), root: tree.root)
        #expect(responder.removeKey(path: "/root/.ssh/authorized_keys", fingerprint: fingerprint).outcome == .done)
        #expect(try Self.read(keys) == "# admins\n\(other)\n")
        #expect(responder.removeKey(path: "/root/.ssh/authorized_keys", fingerprint: fingerprint).outcome == .alreadyDone)
    }

    @Test("Lock user and Remove from group, on an account made with useradd in the tree", .enabled(if: canRun, reason))
    func lockAndRemove() async throws {
        let tree = try IdentityTree()
        defer { tree.tree.remove(); tree.state.remove() }
        let user = IdentityWatchSystemTests.uniqueUser()
        try await IdentityTree.run("/usr/sbin/useradd", ["--prefix", tree.root, "-p", "$6$salt$hash", user])
        try await IdentityTree.run("/usr/sbin/usermod", ["--prefix", tree.root, "-aG", "sudo", user])
        let responder = IdentityResponder(store: IdentityStore(stateDirectory: tree.state.path), root: tree.root)
        #expect(await responder.lockUser(user).outcome == .done)
        let shadow = try #require(try Self.read(tree.root + "/etc/shadow").split(separator: "\n").first { $0.hasPrefix(user + ":") })
        let fields = shadow.split(separator: ":", omittingEmptySubsequences: false)
        #expect(fields[1].hasPrefix("!") && fields[7] == "1")
        #expect(await responder.removeFromGroup(user: user, group: "sudo").outcome == .done)
        let sudo = try #require(try Self.read(tree.root + "/etc/group").split(separator: "\n").first { $0.hasPrefix("sudo:") })
        #expect(!sudo.split(separator: ":", omittingEmptySubsequences: false)[3].split(separator: ",").contains(Substring(user)))
        #expect(await responder.removeFromGroup(user: user, group: "sudo").outcome == .alreadyDone)
        #expect(await responder.lockUser("--help").outcome != .done)
    }

    @Test("Remove from group with gpasswd and Lock user on this host's own files, for a dedicated test user", .enabled(if: canRun, reason))
    func onThisHost() async throws {
        let user = IdentityWatchSystemTests.uniqueUser()
        atTestEnd {
            _ = await ProcessCommandRunner().run(ProgramInvocation("/usr/sbin/userdel", ["-r", user]))
            _ = await ProcessCommandRunner().run(ProgramInvocation("/usr/sbin/groupdel", [user]))
        }
        try await IdentityTree.run("/usr/sbin/useradd", ["-M", "-s", "/usr/sbin/nologin", "-G", "sudo", user])
        let state = try TemporaryDirectory("vigil-identity-responder")
        defer { state.remove() }
        let responder = IdentityResponder(store: IdentityStore(stateDirectory: state.path), root: "/")
        #expect(await responder.removeFromGroup(user: user, group: "sudo").outcome == .done)
        #expect(AccountEntries.groups(Array(try Self.read("/etc/group").utf8))["sudo"]?.members.contains(user) == false)
        #expect(await responder.lockUser(user).outcome == .done)
        let shadow = try #require(try Self.read("/etc/shadow").split(separator: "\n").first { $0.hasPrefix(user + ":") })
        #expect(shadow.split(separator: ":", omittingEmptySubsequences: false)[7] == "1")
    }

    @Test("Kill writer ends the process that wrote, and refuses a pid whose start time differs", .enabled(if: canRun, reason))
    func killWriter() async throws {
        let child = try ProgramSpawner.spawn(["/usr/bin/sleep", "60"])
        atTestEnd { _ = child.stop(grace: .milliseconds(100)) }
        let status = try #require(ProcessTable().status(of: child.pid))
        var responder = IdentityResponder(store: IdentityStore(stateDirectory: "/nonexistent"), root: "/")
        responder.killGrace = .milliseconds(500)
        #expect(await responder.killWriter(pid: child.pid, startTime: status.startTime + 1).outcome != .done)
        #expect(await responder.killWriter(pid: child.pid, startTime: status.startTime).outcome == .done)
    }

    @Test(
        "identity-apply, run as a child process as the transient unit runs it, removes the key and refuses what the watch does not record",
        .enabled(if: canRun && FollowerCrashTests.agentBinary != nil, reason))
    func applyAsChild() async throws {
        let tree = try IdentityTree()
        defer { tree.tree.remove(); tree.state.remove() }
        let keys = tree.root + "/root/.ssh/authorized_keys"
        try IdentityTree.write(keys, "\(IdentityDiffTests.key) intruder\n")
        var monitor = Self.monitor(tree)
        _ = monitor.start(time: 0)
        let fingerprint = try #require(AuthorizedKey(line: Substring(IdentityDiffTests.key))?.fingerprint)
        var answers = IdentityActionRunner(stateDirectory: tree.state.path, root: tree.root)
        answers.executable = try #require(FollowerCrashTests.agentBinary)
        func apply(_ action: ResponseAction) async throws -> ActionReport {
            let argv = try answers.applyArguments(action)
            return IdentityApplyAnswer.report(
                from: await ProcessCommandRunner().run(ProgramInvocation(argv[0], Array(argv.dropFirst()), timeout: .seconds(30))))
        }
        #expect(
            try await apply(.removeKey(path: "/etc/hostname", fingerprint: fingerprint)).outcome
                == .refused(reason: "not a watched file: /etc/hostname"))
        #expect(try await apply(.lockUser(user: "root")).outcome == .refused(reason: "will not lock root"))
        #expect(try Self.read(keys).contains("intruder"), "a refusal changed nothing")
        let removed = try await apply(.removeKey(path: "/root/.ssh/authorized_keys", fingerprint: fingerprint))
        #expect(removed == .done("removed key \(fingerprint) from /root/.ssh/authorized_keys"))
        #expect(try Self.read(keys) == "")
    }

    @Test("Accept keeps the file and discards the copy from before, so a later Revert has nothing to restore", .enabled(if: canRun, reason))
    func acceptDiscardsPrevious() async throws {
        let tree = try IdentityTree()
        defer { tree.tree.remove(); tree.state.remove() }
        let hosts = tree.root + "/etc/hosts"
        var monitor = Self.monitor(tree)
        _ = monitor.start(time: 0)
        try await IdentityTree.run("/usr/bin/tee", ["-a", hosts], input: "203.0.113.66 security.debian.org\n")
        let evidence = try #require(monitor.rescan(seenBy: "rescan", time: 1).compactMap(IdentityTree.evidence).first { $0.path == "/etc/hosts" })
        let after = try #require(evidence.sha256After)
        let before = try #require(evidence.sha256Before)
        let answers = IdentityActionRunner(stateDirectory: tree.state.path, root: tree.root)
        #expect(
            await answers.apply(.acceptChange(path: "/etc/hosts", sha256: before)).outcome
                == .refused(reason: "/etc/hosts changed again since the alert"))
        #expect(await answers.apply(.acceptChange(path: "/etc/hosts", sha256: after)).outcome == .done)
        #expect(try Self.read(hosts).contains("203.0.113.66"))
        let revert = await answers.apply(.revertFile(path: "/etc/hosts", sha256: after, sha256Before: before))
        #expect(revert.outcome == .refused(reason: "no kept copy of /etc/hosts from before the change"))
    }
}
