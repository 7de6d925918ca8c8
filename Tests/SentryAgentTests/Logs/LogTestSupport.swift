import Foundation
import Logging
import Synchronization
import Testing

@testable import SentryAgent

/// Lines a follower handed over, shared between the follower's thread and the test.
final class LineLog: Sendable {
    private let state = Mutex<(lines: [String], batches: Int)>(([], 0))

    func append(_ line: String) { state.withLock { $0.lines.append(line) } }
    func batchEnded() { state.withLock { $0.batches += 1 } }
    var lines: [String] { state.withLock { $0.lines } }
    var count: Int { state.withLock { $0.lines.count } }

    /// Waits (polling) until at least `count` lines arrived or `timeout` passed.
    func wait(forCount count: Int, timeout: Duration = .seconds(15)) async {
        let deadline = ContinuousClock.now + timeout
        while self.count < count, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// A consumer recording every line (as text; invalid UTF-8 is repaired for comparison) into a `LineLog`.
struct RecordingConsumer: LineConsumer {
    let log: LineLog

    mutating func consume(_ line: UnsafeBufferPointer<UInt8>, origin: LineOrigin) {
        log.append(String(decoding: line, as: UTF8.self))
    }

    mutating func flush() -> Int64? {
        log.batchEnded()
        return nil
    }
}

/// Lost and duplicated lines between what was written and what came out.
struct LineAccounting: CustomStringConvertible {
    var written: Int
    var received: Int
    var lost: [String]
    var duplicated: [String]

    init(written: [String], received: [String]) {
        self.written = written.count
        self.received = received.count
        var counts: [String: Int] = [:]
        for line in received { counts[line, default: 0] += 1 }
        lost = written.filter { counts[$0] == nil }
        duplicated = counts.filter { $0.value > 1 }.map(\.key).sorted()
        let writtenSet = Set(written)
        // Lines that came out but were never written count as corruption, reported with the duplicates.
        duplicated += received.filter { !writtenSet.contains($0) }
    }

    var description: String {
        "written \(written), received \(received), lost \(lost.count) \(lost.prefix(5)), duplicated/corrupt \(duplicated.count) \(duplicated.prefix(5))"
    }
}

/// A log writer doing what real writers and logrotate do, with plain POSIX calls.
final class LogWriter {
    let path: String
    private(set) var descriptor: Int32
    private(set) var written: [String] = []
    private var sequence = 0
    let tag: String

    init(path: String, tag: String = "w") {
        self.path = path
        self.tag = tag
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    }

    deinit {
        close(descriptor)
    }

    /// The next unique line (with some padding so files grow past the fingerprint length quickly).
    func nextLine() -> String {
        sequence += 1
        return "\(tag)-\(String(format: "%07d", sequence)) GET /some/path?id=\(sequence) padding-padding-padding"
    }

    /// Appends one line in one write (as syslog daemons and nginx do).
    func appendLine() {
        let line = nextLine()
        write(raw: line + "\n")
        written.append(line)
    }

    /// Appends `count` lines in a single write.
    func appendBlock(_ count: Int) {
        var text = ""
        for _ in 0..<count {
            let line = nextLine()
            text += line + "\n"
            written.append(line)
        }
        write(raw: text)
    }

    func write(raw text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
    }

    /// `mv path path.1` (the writer keeps its descriptor, as nginx does until it is told to reopen).
    func renameAway(suffix: String = ".1") {
        rename(path, path + suffix)
    }

    /// Opens `path` anew (`create` in logrotate, or nginx after USR1).
    func reopen() {
        close(descriptor)
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    }

    /// logrotate's `copytruncate`: copy the file to `path.1`, then truncate the original in place.
    func copyTruncate(suffix: String = ".1") {
        let data = FileManager.default.contents(atPath: path) ?? Data()
        _ = FileManager.default.createFile(atPath: path + suffix, contents: data)
        truncate(path, 0)
    }

    /// Truncates in place and writes `count` lines at once, so the file may already be longer than before when the
    /// follower looks.
    func truncateAndRegrow(_ count: Int) {
        ftruncate(descriptor, 0)
        appendBlock(count)
    }

    /// `rm path` (the writer's descriptor still points at the deleted file).
    func delete() {
        unlink(path)
    }
}

/// Runs a follower on its own thread for the duration of a test.
final class RunningFollower: Sendable {
    let stop = FollowerStopSignal()
    let log = LineLog()
    private let finished = StatisticsBox()
    private let task: Task<Void, Never>

    private init(paths: [String], options: LogFollowerOptions, store: @escaping @Sendable () -> any FollowerStateStore, started: StartedSignal) {
        let stop = stop
        let log = log
        let finished = finished
        task = Task {
            await FollowerThread.run(name: "test-follower") {
                let follower = LogFollower(
                    paths: paths, options: options, store: store(), consumer: RecordingConsumer(log: log), logger: Logger(label: "test"))
                follower.run(stop: stop) { started.fire() }
                finished.set(follower.statistics)
            }
        }
    }

    /// Starts a follower and returns once it has opened its files: a writer started after this cannot outrun it.
    static func start(
        paths: [String], options: LogFollowerOptions = .test, store: @escaping @Sendable () -> any FollowerStateStore = { MemoryFollowerStateStore() }
    ) async -> RunningFollower {
        let started = StartedSignal()
        let follower = RunningFollower(paths: paths, options: options, store: store, started: started)
        await started.wait()
        return follower
    }

    /// Stops the follower and returns its statistics.
    func finish() async -> FollowerStatistics? {
        stop.stop()
        await task.value
        return finished.value
    }
}

/// Set once by the follower's thread; awaited by the test.
final class StartedSignal: Sendable {
    private let fired = Mutex(false)

    func fire() { fired.withLock { $0 = true } }

    var hasFired: Bool { fired.withLock { $0 } }

    func wait(timeout: Duration = .seconds(30)) async {
        let deadline = ContinuousClock.now + timeout
        while !fired.withLock({ $0 }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// A follower's final statistics, handed from its thread to the test.
final class StatisticsBox: Sendable {
    private let state = Mutex<FollowerStatistics?>(nil)

    func set(_ statistics: FollowerStatistics) { state.withLock { $0 = statistics } }
    var value: FollowerStatistics? { state.withLock { $0 } }
}

extension LogFollowerOptions {
    /// Fast polling and a short grace, so tests run in seconds.
    static var test: LogFollowerOptions {
        var options = LogFollowerOptions()
        options.pollInterval = .milliseconds(200)
        options.rotationGrace = .milliseconds(700)
        options.startAtEnd = false
        return options
    }
}

/// Runs `body` on a plain thread (a writer that sleeps must not hold a Swift concurrency thread).
func onThread(_ body: @escaping @Sendable () -> Void) async {
    await FollowerThread.run(name: "test-writer", body)
}

/// Sleeps the calling (plain) thread.
func pause(microseconds: UInt32) {
    usleep(microseconds)
}
