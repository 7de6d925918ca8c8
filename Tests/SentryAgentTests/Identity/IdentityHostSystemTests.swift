import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

#if canImport(Glibc)
    import Glibc
#endif

/// The identity detector on this machine's own `/etc`, with a dedicated test user removed at the end whatever
/// happens, and the figures the README quotes.
@Suite("identity: this host", .serialized, .system)
struct IdentityHostSystemTests {
    static let canRun = IdentityWatchSystemTests.canRun && SystemRequirements.has("userdel")

    @Test(
        "useradd and usermod -aG sudo of a test user on this host: both alerted within 1 s, writer named",
        .enabled(if: canRun, IdentityWatchSystemTests.reason))
    func hostUser() async throws {
        let tree = try IdentityTree()
        atTestEnd { await tree.shutdown() }
        try await tree.start(watchedRoot: "/")
        let user = IdentityWatchSystemTests.uniqueUser()
        atTestEnd {
            // Registered before the user exists: a failure half-way still removes it (and its group).
            _ = await ProcessCommandRunner().run(ProgramInvocation("/usr/sbin/userdel", ["-r", user]))
            _ = await ProcessCommandRunner().run(ProgramInvocation("/usr/sbin/groupdel", [user]))
        }
        var since = ContinuousClock.now
        try await IdentityTree.run("/usr/sbin/useradd", ["-M", "-s", "/usr/sbin/nologin", user])
        let added = try await tree.waitForChange("/etc/passwd", change: "user_added", after: since)
        #expect(added.evidence.writer?.exe == "/usr/sbin/useradd" && added.latency < .seconds(1))
        // usermod exits within milliseconds of its write, so whether it is still there to be read depends on how soon
        // the watcher's thread runs (the rate, ≥ 95 %, is for writers living ≥ 50 ms: `figures` below). Every
        // round must be alerted, critical and within 1 s; the writer must be named in one of three rounds.
        var named: [String?] = []
        for _ in 0..<3 {
            since = .now
            try await IdentityTree.run("/usr/sbin/usermod", ["-aG", "sudo", user])
            let sudo = try await tree.waitForChange("/etc/group", change: "group_member_added", after: since)
            #expect(sudo.detection.severity == .critical, "\(sudo.evidence)")
            #expect(sudo.latency < .seconds(1), "\(sudo.evidence)")
            named.append(sudo.evidence.writer?.exe)
            if sudo.evidence.writer?.exe == "/usr/sbin/usermod" { break }
            since = .now
            try await IdentityTree.run("/usr/bin/gpasswd", ["-d", user, "sudo"])
            _ = try await tree.waitForChange("/etc/group", change: "group_member_removed", after: since)
        }
        #expect(named.contains("/usr/sbin/usermod"), "writers seen: \(named)")
    }

    @Test(
        "figures: latency p99 and writers named over 100 writes, scan time and memory of this host's watched set",
        .enabled(if: canRun, IdentityWatchSystemTests.reason))
    func figures() async throws {
        let tree = try IdentityTree()
        atTestEnd { await tree.shutdown() }
        try await tree.start()
        var latencies: [Duration] = []
        var named = 0
        var shortNamed = 0
        let rounds = 100
        let shell = IdentityTree.shell
        for round in 0..<rounds {
            // The measure: writers that live at least 50 ms (a shell that appends, then lingers).
            let since = ContinuousClock.now
            try await IdentityTree.run(
                "/bin/sh", ["-c", "echo 10.0.\(round / 250).\(round % 250) host-\(round) >> \(tree.root)/etc/hosts; sleep 0.05"])
            let seen = try await tree.waitForChange("/etc/hosts", change: "line_added", after: since)
            latencies.append(seen.latency)
            if seen.evidence.writer?.exe == shell { named += 1 }
            // And, for the record, a writer that exits the moment it has written (tee).
            let quick = ContinuousClock.now
            try await IdentityTree.run(
                "/usr/bin/tee", ["-a", tree.root + "/etc/hosts"], input: "10.1.\(round / 250).\(round % 250) quick-\(round)\n")
            let short = try await tree.waitForChange("/etc/hosts", change: "line_added", after: quick)
            if short.evidence.writer?.exe == "/usr/bin/tee" { shortNamed += 1 }
        }
        latencies.sort()
        let p99 = latencies[Int(Double(latencies.count) * 0.99) - 1]
        #expect(p99 < .seconds(1))
        #expect(named * 100 >= rounds * 95)

        var logger = Logger(label: "identity-figures")
        logger.logLevel = .error
        let state = try TemporaryDirectory("vigil-identity-host")
        defer { state.remove() }
        var monitor = IdentityMonitor(
            watched: WatchedSet(root: "/", authorizedKeysPatterns: await DetectionService.authorizedKeysPatterns(runner: ProcessCommandRunner())),
            detector: IdentityDetector(), store: IdentityStore(stateDirectory: state.path), logger: logger, packageLockHeld: { false })
        let formed = ContinuousClock.now
        _ = monitor.start(time: 0)
        let formTime = formed.duration(to: .now)
        var scans: [Duration] = []
        for _ in 0..<5 {
            let started = ContinuousClock.now
            _ = monitor.rescan(seenBy: "verification", time: 1)
            scans.append(started.duration(to: .now))
        }
        scans.sort()
        print(
            "identity figures: latency p50 \(latencies[latencies.count / 2]) p99 \(p99) max \(latencies.last ?? .zero); writer named \(named)/\(rounds) (living ≥ 50 ms), \(shortNamed)/\(rounds) (tee, exits at once); "
                + "host set \(monitor.records.count) files in \(monitor.watched.directories.count) directories, \(monitor.memoryFootprint) bytes held; "
                + "baseline formed in \(formTime); verification scan median \(scans[2]) max \(scans[4])")
        #expect(monitor.memoryFootprint <= 2 << 20)
        #expect(scans[2] < .milliseconds(500))
    }
}
