import Foundation
import Logging
import Shared
import Synchronization
import Testing
import VigilTestSupport

@testable import SentryAgent

#if canImport(Glibc)
    import Glibc
#endif

/// A throw-away tree that mirrors the watched part of `/` (accounts copied from this host, an empty sudoers.d, root's
/// `.ssh`, a crontab…) and an identity watch loop running on it on a thread of its own, as the agent runs it.
final class IdentityTree: Sendable {
    let tree: TemporaryDirectory
    let state: TemporaryDirectory
    let stop = FollowerStopSignal()
    private let seen = Mutex<[(detection: Detection, at: ContinuousClock.Instant)]>([])
    private let readyFlag = Mutex(false)
    private let finished = Mutex<Task<Void, Never>?>(nil)

    var root: String { tree.path }

    init() throws {
        tree = try TemporaryDirectory("vigil-identity-tree")
        state = try TemporaryDirectory("vigil-identity-state")
        for directory in ["etc/default", "etc/sudoers.d", "etc/cron.d", "etc/systemd/system", "etc/ssh", "root/.ssh", "home"] {
            try FileManager.default.createDirectory(atPath: tree.file(directory), withIntermediateDirectories: true)
        }
        for file in ["passwd", "group", "shadow", "gshadow", "login.defs"] {
            try FileManager.default.copyItem(atPath: "/etc/" + file, toPath: tree.file("etc/" + file))
        }
        if FileManager.default.fileExists(atPath: "/etc/default/useradd") {
            try FileManager.default.copyItem(atPath: "/etc/default/useradd", toPath: tree.file("etc/default/useradd"))
        }
        try Self.write(tree.file("etc/sudoers"), "root ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n")
        try Self.write(tree.file("etc/crontab"), "17 * * * * root cd / && run-parts --report /etc/cron.hourly\n")
        try Self.write(tree.file("etc/hosts"), "127.0.0.1 localhost\n")
        try Self.write(tree.file("etc/ssh/sshd_config"), "PermitRootLogin prohibit-password\n")
        try Self.write(tree.file("root/.ssh/authorized_keys"), "")
    }

    static func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// Starts the loop (fanotify, else inotify, or `source` when given) and waits until it watches.
    /// `watchedRoot` "/" watches this host itself (the state still goes to the throw-away directory).
    func start(
        source: (@Sendable (WriterReader) -> (any IdentityEventSource)?)? = nil, verifyInterval: Duration = .seconds(300), watchedRoot: String? = nil
    ) async throws {
        let watched = WatchedSet(root: watchedRoot ?? tree.path)
        let store = IdentityStore(stateDirectory: state.path)
        let stop = stop
        let task = Task {
            await FollowerThread.run(name: "test-identity") {
                var logger = Logger(label: "identity-test")
                logger.logLevel = .warning
                let monitor = IdentityMonitor(
                    watched: watched, detector: IdentityDetector(configuration: .init(packageQuietSeconds: 1)), store: store, logger: logger)
                var loop = IdentityWatchLoop(monitor: monitor, verifyInterval: verifyInterval, wallClock: { Int64(time(nil)) }, logger: logger)
                if let source { loop.makeSource = source }
                loop.run(stop: stop, ready: { self.readyFlag.withLock { $0 = true } }) { detection in
                    self.seen.withLock { $0.append((detection, .now)) }
                }
            }
        }
        finished.withLock { $0 = task }
        try await waitUntil("the identity loop is watching") { self.readyFlag.withLock { $0 } }
    }

    func shutdown() async {
        stop.stop()
        await finished.withLock { $0 }?.value
        tree.remove()
        state.remove()
    }

    var detections: [(detection: Detection, at: ContinuousClock.Instant)] { seen.withLock { $0 } }

    static func evidence(_ detection: Detection) -> IdentityEvidence? {
        guard case .identity(let evidence) = detection.subject else { return nil }
        return evidence
    }

    /// Waits for the first detection about `path` with a fact `change` seen after `since`; returns it and its latency.
    func waitForChange(
        _ path: String, change: String, after since: ContinuousClock.Instant
    ) async throws -> (detection: Detection, evidence: IdentityEvidence, latency: Duration) {
        try await waitFor("\(change) on \(path)", timeout: .seconds(15)) {
            for (detection, at) in detections where at >= since {
                if let evidence = Self.evidence(detection), evidence.path == path, evidence.changes.contains(where: { $0.change == change }) {
                    return (detection, evidence, since.duration(to: at))
                }
            }
            return nil
        }
    }

    /// The shell's real executable (`/usr/bin/dash` on Debian), as `/proc/<pid>/exe` names it.
    static let shell: String = {
        guard let resolved = realpath("/bin/sh", nil) else { return "/bin/sh" }
        defer { free(resolved) }
        return String(cString: resolved)
    }()

    /// Writes `text` to `path` (appending with `append`) from a shell that lingers 50 ms after closing the file: a
    /// writer that lives past its write, as the "writer named" measure asks (the text is an argument, never
    /// shell syntax).
    static func shellWrite(_ text: String, to path: String, append: Bool = true) async throws {
        let redirect = append ? ">>" : ">"
        try await run("/bin/sh", ["-c", "printf '%s' \"$1\" \(redirect) \"$2\"; sleep 0.05", "sh", text, path])
    }

    /// Runs a real account tool that lingers 100 ms at its exit (`strace` delays its `exit_group`, so its executable
    /// and command line stay readable): useradd and usermod exit within milliseconds of their write, and whether the
    /// watcher's thread reads them before that depends on the machine's load (CI once lost that race). A writer that
    /// exits at once is named only by luck; `IdentityHostSystemTests` keeps that case, as a rate.
    @discardableResult
    static func runLingering(_ program: String, _ arguments: [String]) async throws -> String {
        let delayed = ["-f", "-qq", "-o", "/dev/null", "-e", "trace=exit_group", "-e", "inject=exit_group:delay_enter=100000", program]
        return try await run("/usr/bin/strace", delayed + arguments)
    }

    /// Runs a real program to completion; throws when it fails.
    @discardableResult
    static func run(_ program: String, _ arguments: [String], input: String = "") async throws -> String {
        let output = await ProcessCommandRunner().run(ProgramInvocation(program, arguments, standardInput: Array(input.utf8), timeout: .seconds(30)))
        guard output.succeeded else { throw TestFailure("\(program) \(arguments): \(output.failureReason)") }
        return String(decoding: output.standardOutput, as: UTF8.self)
    }
}
