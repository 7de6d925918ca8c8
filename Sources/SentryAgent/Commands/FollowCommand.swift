import ArgumentParser
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// `sentry-agent follow --state-dir DIR [--output FILE] PATH...`: prints the lines the agent's follower sees.
///
/// A diagnostic for the log follower (what the detectors would be fed, across rotations and restarts). With
/// `--output` the lines are appended to a file whose length is saved with the positions in one checkpoint, and a
/// restart first cuts the file back to that length: killed at any instant (even with SIGKILL) and restarted, the
/// file ends up with every line exactly once. On standard output a line can repeat after a crash (at most one batch).
struct FollowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "follow",
        abstract: "Follow log files like tail -F, resuming from saved positions, and print their lines (a follower diagnostic)."
    )

    /// Where a follower starts in a file it meets for the first time.
    enum Start: String, ExpressibleByArgument, CaseIterable {
        case end, beginning
    }

    @Option(help: "Directory for the saved positions (positions/follow.json).")
    var stateDir: String

    @Option(help: "Append lines to this file (exactly once across crashes) instead of standard output.")
    var output: String?

    @Option(help: "Where to start in a file seen for the first time: end or beginning.")
    var startAt: Start = .end

    @Option(help: "Seconds a rotated file stays open for late writes.")
    var rotationGrace: Int = 5

    @Option(help: .hidden)
    var commitDelayMicroseconds: UInt32 = 0

    @Argument(help: "Log files to follow.")
    var paths: [String]

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("give at least one path") }
    }

    func run() throws {
        var logger = Logger(label: "sentry-agent.follow")
        logger.logLevel = .warning
        let printer: LinePrinter
        if let output {
            let descriptor = open(output, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw ValidationError("cannot open \(output)") }
            printer = LinePrinter(descriptor: descriptor, isFile: true, commitDelayMicroseconds: commitDelayMicroseconds)
        } else {
            printer = LinePrinter(descriptor: 1, isFile: false, commitDelayMicroseconds: commitDelayMicroseconds)
        }
        var options = LogFollowerOptions()
        options.startAtEnd = startAt == .end
        options.rotationGrace = .seconds(rotationGrace)
        let follower = LogFollower(
            paths: paths, options: options, store: FileFollowerStateStore(stateDirectory: stateDir, source: "follow"), consumer: printer,
            logger: logger)
        let stop = FollowerStopSignal()
        FollowCommand.stopOnSignals(stop)
        follower.run(stop: stop)
    }

    /// SIGINT and SIGTERM end the follower after its batch (its position is saved after every batch anyway).
    static func stopOnSignals(_ stop: FollowerStopSignal) {
        signalTarget = stop.writeDescriptor
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber) { _ in
                var byte: UInt8 = 1
                _ = write(signalTarget, &byte, 1)
            }
        }
    }
}

/// The eventfd a signal handler writes to: set once before the handlers are installed, then only read.
nonisolated(unsafe) private var signalTarget: Int32 = -1

/// Writes each line and its `\n` to a descriptor, one `write` per batch.
struct LinePrinter: LineConsumer {
    let descriptor: Int32
    /// A regular file supports the commit mark and roll-back; standard output does not.
    let isFile: Bool
    /// A pause between writing a batch and returning its mark (crash tests widen the window a SIGKILL must hit).
    let commitDelayMicroseconds: UInt32
    private var batch: [UInt8] = []

    init(descriptor: Int32, isFile: Bool, commitDelayMicroseconds: UInt32 = 0) {
        self.descriptor = descriptor
        self.isFile = isFile
        self.commitDelayMicroseconds = commitDelayMicroseconds
    }

    mutating func consume(_ line: UnsafeBufferPointer<UInt8>, origin: LineOrigin) {
        batch.append(contentsOf: line)
        batch.append(UInt8(ascii: "\n"))
    }

    mutating func flush() -> Int64? {
        if !batch.isEmpty {
            batch.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = write(descriptor, raw.baseAddress.map { $0 + offset }, raw.count - offset)
                    if written < 0, errno == EINTR { continue }
                    if written <= 0 { return }
                    offset += written
                }
            }
            batch.removeAll(keepingCapacity: true)
            if commitDelayMicroseconds > 0 { usleep(commitDelayMicroseconds) }
        }
        guard isFile else { return nil }
        return Int64(lseek(descriptor, 0, SEEK_END))
    }

    mutating func recover(committedMark: Int64?) {
        guard isFile else { return }
        // Lines written after the last checkpoint will be read again from the saved positions: cut them off.
        let end = Int64(lseek(descriptor, 0, SEEK_END))
        let mark = committedMark ?? 0
        if end > mark { _ = ftruncate(descriptor, off_t(mark)) }
        lseek(descriptor, 0, SEEK_END)
    }
}
