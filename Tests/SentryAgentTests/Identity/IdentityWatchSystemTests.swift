import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

#if canImport(Glibc)
    import Glibc
#endif

/// The identity detector on real files written by real tools, with real fanotify, in a throw-away tree.
@Suite("identity: real changes, real tools, real fanotify", .serialized, .system)
struct IdentityWatchSystemTests {
    /// Root, fanotify with FAN_REPORT_DFID_NAME, and the tools the tests run.
    static let canRun: Bool = {
        let tools = ["useradd", "usermod", "ssh-keygen", "tee", "cp", "strace"]
        guard SystemRequirements.isRoot, tools.allSatisfy(SystemRequirements.has) else { return false }
        return FanotifyEventSource(writers: WriterReader(proc: ProcFileSystem(), users: SystemUserNames())) != nil
    }()

    static let reason: Comment = "needs root, fanotify (Linux 5.9+, FAN_REPORT_DFID_NAME) and useradd, usermod, ssh-keygen, tee, cp, strace"

    /// A user name no other test (or person) uses.
    static func uniqueUser() -> String { "vgl\(getpid() % 100_000)x\(Int.random(in: 100...999))" }

    @Test(
        "useradd, usermod -aG sudo, a new key, a NOPASSWD drop-in, a cron line, a unit and a preload: each in words within 1 s, with its writer",
        .enabled(if: canRun, reason))
    func realChanges() async throws {
        let tree = try IdentityTree()
        atTestEnd { await tree.shutdown() }
        try await tree.start()
        let user = Self.uniqueUser()
        var latencies: [Duration] = []

        var since = ContinuousClock.now
        try await IdentityTree.runLingering("/usr/sbin/useradd", ["--prefix", tree.root, user])
        let added = try await tree.waitForChange("/etc/passwd", change: "user_added", after: since)
        #expect(added.evidence.writer?.exe == "/usr/sbin/useradd")
        #expect(added.evidence.changes.contains { $0.target == user })
        latencies.append(added.latency)

        since = .now
        try await IdentityTree.runLingering("/usr/sbin/usermod", ["--prefix", tree.root, "-aG", "sudo", user])
        let sudo = try await tree.waitForChange("/etc/group", change: "group_member_added", after: since)
        #expect(sudo.detection.severity == .critical && sudo.evidence.writer?.exe == "/usr/sbin/usermod")
        #expect(sudo.evidence.changes.first?.target == "\(user):sudo")
        latencies.append(sudo.latency)

        let keyFile = tree.state.file("key")
        try await IdentityTree.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "intruder@example", "-f", keyFile])
        let publicKey = try String(contentsOfFile: keyFile + ".pub", encoding: .utf8)
        let fingerprint = try await IdentityTree.run("/usr/bin/ssh-keygen", ["-lf", keyFile + ".pub"]).split(separator: " ")[1]
        since = .now
        try await IdentityTree.shellWrite(publicKey, to: tree.root + "/root/.ssh/authorized_keys")
        let key = try await tree.waitForChange("/root/.ssh/authorized_keys", change: "key_added", after: since)
        #expect(key.detection.severity == .critical && key.evidence.writer?.exe == IdentityTree.shell)
        #expect(key.evidence.changes.first?.target == String(fingerprint))
        #expect(key.evidence.changes.first?.detail.contains("“intruder@example”") == true)
        latencies.append(key.latency)

        since = .now
        try await IdentityTree.shellWrite("\(user) ALL=(ALL) NOPASSWD: ALL\n", to: tree.root + "/etc/sudoers.d/90-vigil", append: false)
        let nopasswd = try await tree.waitForChange("/etc/sudoers.d/90-vigil", change: "nopasswd_added", after: since)
        #expect(nopasswd.detection.severity == .critical && nopasswd.evidence.writer?.exe == IdentityTree.shell, "\(nopasswd.evidence)")
        latencies.append(nopasswd.latency)

        since = .now
        try await IdentityTree.shellWrite("* * * * * root /tmp/.x/beacon\n", to: tree.root + "/etc/crontab")
        let cron = try await tree.waitForChange("/etc/crontab", change: "line_added", after: since)
        #expect(cron.evidence.changes.first?.detail == "cron line added: * * * * * root /tmp/.x/beacon")
        latencies.append(cron.latency)

        since = .now
        try await IdentityTree.shellWrite(
            "[Service]\nExecStart=/tmp/.x/beacon --daemon\n", to: tree.root + "/etc/systemd/system/beacon.service", append: false)
        let unit = try await tree.waitForChange("/etc/systemd/system/beacon.service", change: "unit_exec", after: since)
        #expect(unit.evidence.changes.contains { $0.detail == "beacon.service runs ExecStart=/tmp/.x/beacon --daemon" })
        #expect(unit.evidence.writer?.exe == IdentityTree.shell)
        latencies.append(unit.latency)

        since = .now
        try await IdentityTree.shellWrite("/usr/lib/libhide.so\n", to: tree.root + "/etc/ld.so.preload", append: false)
        let preload = try await tree.waitForChange("/etc/ld.so.preload", change: "preload_set", after: since)
        #expect(preload.detection.severity == .critical && preload.evidence.writer?.exe == IdentityTree.shell)
        latencies.append(preload.latency)

        for latency in latencies { #expect(latency < .seconds(1)) }
        print("identity: latencies \(latencies.map { "\($0)" }.joined(separator: ", "))")
    }

    @Test("an identical rewrite of authorized_keys is no alert (a later marker's alert proves the writes were seen)", .enabled(if: canRun, reason))
    func identicalRewrite() async throws {
        let tree = try IdentityTree()
        atTestEnd { await tree.shutdown() }
        let keys = tree.root + "/root/.ssh/authorized_keys"
        try IdentityTree.write(keys, IdentityDiffTests.key + " first\n")
        try await tree.start()
        let copy = tree.state.file("same-keys")
        try IdentityTree.write(copy, IdentityDiffTests.key + " first\n")
        let since = ContinuousClock.now
        try await IdentityTree.run("/usr/bin/cp", [copy, keys])
        try await IdentityTree.run("/usr/bin/tee", ["-a", tree.root + "/etc/hosts"], input: "10.0.0.9 marker\n")
        _ = try await tree.waitForChange("/etc/hosts", change: "line_added", after: since)
        #expect(!tree.detections.contains { IdentityTree.evidence($0.detection)?.path == "/root/.ssh/authorized_keys" })
    }

    @Test("a forced fanotify overflow loses no change: the rescan finds it", .enabled(if: canRun, reason))
    func overflowLosesNothing() async throws {
        let tree = try IdentityTree()
        atTestEnd {
            tree.tree.remove()
            tree.state.remove()
        }
        var logger = Logger(label: "identity-test")
        logger.logLevel = .warning
        var monitor = IdentityMonitor(
            watched: WatchedSet(root: tree.root), detector: IdentityDetector(), store: IdentityStore(stateDirectory: tree.state.path), logger: logger)
        #expect(monitor.start(time: 0).isEmpty)
        let writers = WriterReader(proc: ProcFileSystem(), users: SystemUserNames())
        let source = try #require(FanotifyEventSource(writers: writers))
        for directory in monitor.watched.directories.keys { _ = source.watch(directory: directory, hostPath: monitor.watched.hostPath(directory)) }
        // Nobody reads the queue while more events than it holds (16384) are made; one of them is the change that matters.
        try await IdentityTree.run("/usr/bin/tee", ["-a", tree.root + "/etc/sudoers"], input: "mallory ALL=(ALL) NOPASSWD: ALL\n")
        for index in 0..<20_000 {
            let descriptor = open(tree.root + "/etc/junk-\(index)", O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
            close(descriptor)
        }
        let stop = FollowerStopSignal()
        var wake = source.wait(timeout: .seconds(5), stop: stop)
        while case .changes(let changes) = wake {
            _ = monitor.handle(changes, time: 1)
            wake = source.wait(timeout: .seconds(5), stop: stop)
        }
        #expect(wake == .overflow)
        let found = monitor.rescan(seenBy: "rescan", time: 2)
        let sudoers = try #require(found.compactMap(IdentityTree.evidence).first { $0.path == "/etc/sudoers" })
        #expect(sudoers.changes.first?.change == "nopasswd_added" && sudoers.seenBy == "rescan")
    }

    @Test("without fanotify, inotify still reports the change in words, writer unknown", .enabled(if: SystemRequirements.isRoot, "needs root"))
    func inotifyFallback() async throws {
        let tree = try IdentityTree()
        atTestEnd { await tree.shutdown() }
        try await tree.start(source: { _ in InotifyEventSource() })
        let since = ContinuousClock.now
        try await IdentityTree.run("/usr/bin/tee", ["-a", tree.root + "/etc/sudoers"], input: "eve ALL=(ALL) ALL\n")
        let rule = try await tree.waitForChange("/etc/sudoers", change: "sudo_rule_added", after: since)
        #expect(rule.evidence.writer == nil && rule.evidence.seenBy == "realtime")
    }

    @Test("a change made while the agent was down is found by the start's verification scan")
    func changedWhileDown() async throws {
        let tree = try IdentityTree()
        defer {
            tree.tree.remove()
            tree.state.remove()
        }
        let logger = Logger(label: "identity-test")
        func monitor() -> IdentityMonitor {
            IdentityMonitor(
                watched: WatchedSet(root: tree.root), detector: IdentityDetector(), store: IdentityStore(stateDirectory: tree.state.path),
                logger: logger,
                packageLockHeld: { false })
        }
        var first = monitor()
        #expect(first.start(time: 0).isEmpty)
        try IdentityTree.write(tree.root + "/etc/sudoers.d/evil", "eve ALL=(ALL) NOPASSWD: ALL\n")
        var second = monitor()
        let found = second.start(time: 1).compactMap(IdentityTree.evidence)
        #expect(found.map(\.path) == ["/etc/sudoers.d/evil"])
        #expect(found.first?.seenBy == "verification" && found.first?.changes.first?.change == "nopasswd_added")
        // Nothing changed since: a third start is silent, and the copy of the file is private.
        var third = monitor()
        #expect(third.start(time: 2).isEmpty)
        #expect(PrivateFile.mode(of: IdentityStore(stateDirectory: tree.state.path).copyPath("/etc/sudoers")) == 0o600)
    }

    @Test(
        "fingerprints are exactly what ssh-keygen -lf prints, for every key type",
        .enabled(if: SystemRequirements.has("ssh-keygen"), "needs ssh-keygen"))
    func fingerprints() async throws {
        let directory = try TemporaryDirectory("vigil-keys")
        defer { directory.remove() }
        for (type, bits) in [("ed25519", ""), ("rsa", "2048"), ("ecdsa", "384")] {
            let file = directory.file(type)
            try await IdentityTree.run(
                "/usr/bin/ssh-keygen", ["-q", "-t", type] + (bits.isEmpty ? [] : ["-b", bits]) + ["-N", "", "-C", "c", "-f", file])
            let line = try String(contentsOfFile: file + ".pub", encoding: .utf8)
            let expected = try await IdentityTree.run("/usr/bin/ssh-keygen", ["-lf", file + ".pub"]).split(separator: " ")[1]
            #expect(AuthorizedKey(line: Substring(line))?.fingerprint == String(expected))
        }
    }
}
