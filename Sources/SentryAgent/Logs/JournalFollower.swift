import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Receives journald entries from a `JournalFollower`, in order, in batches.
protocol JournalEntryConsumer {
    /// One entry; `origin` is derived from its cursor, so a re-read entry has the same origin.
    mutating func consume(_ entry: JournalEntry, origin: LineOrigin)
    /// Ends a batch (see `LineConsumer.flush()`).
    mutating func flush() -> Int64?
}

/// Follows the journal through `journalctl -f -o json`, for systems without a syslog file (Debian 12+).
///
/// The cursor of the last entry handed over is saved after every batch, like a file offset, and given back to
/// `journalctl --after-cursor` on restart, so nothing logged while the agent was down is lost. If `journalctl` exits
/// (journal vacuumed, binary upgraded) it is started again from the saved cursor after the poll interval.
final class JournalFollower<Consumer: JournalEntryConsumer> {
    let journalctl: String
    /// `FIELD=value` matches; journalctl ORs matches on the same field.
    let matches: [String]
    let startAtEnd: Bool
    let pollInterval: Duration
    private(set) var consumer: Consumer
    private(set) var entries = 0
    private let store: any FollowerStateStore
    private let logger: Logger
    private var cursor: String?
    private var consumerMark: Int64?

    /// The matches for the SSH detectors: OpenSSH before 9.8 logs as `sshd`, later versions as `sshd-session`.
    static var sshMatches: [String] { ["_COMM=sshd", "_COMM=sshd-session"] }

    init(
        journalctl: String, matches: [String], startAtEnd: Bool, pollInterval: Duration, store: any FollowerStateStore, consumer: Consumer,
        logger: Logger
    ) {
        self.journalctl = journalctl
        self.matches = matches
        self.startAtEnd = startAtEnd
        self.pollInterval = pollInterval
        self.store = store
        self.consumer = consumer
        self.logger = logger
    }

    /// The argument vector for the next start.
    var argv: [String] {
        var argv = [journalctl, "--follow", "--output=json", "--no-pager"]
        if let cursor {
            argv.append("--after-cursor=\(cursor)")
        } else {
            argv.append(startAtEnd ? "--lines=0" : "--no-tail")
        }
        return argv + matches
    }

    /// Follows until `stop` is signalled.
    func run(stop: FollowerStopSignal) {
        let saved = store.load()
        cursor = saved?.journalCursor
        consumerMark = saved?.consumerMark
        while !stop.isStopped {
            let started = ContinuousClock.now
            do {
                let child = try ChildProcess(argv: argv)
                readEntries(from: child, stop: stop)
                let status = child.terminate()
                if stop.isStopped { return }
                logger.warning("journalctl exited; restarting it from the saved cursor", metadata: ["status": "\(status)"])
            } catch {
                logger.error("cannot run journalctl", metadata: ["error": "\(error)", "program": "\(journalctl)"])
            }
            // Do not spin on a journalctl that exits at once.
            let elapsed = ContinuousClock.now - started
            if elapsed < pollInterval { sleep(for: pollInterval - elapsed, stop: stop) }
        }
    }

    private func readEntries(from child: ChildProcess, stop: FollowerStopSignal) {
        var splitter = LineSplitter(maxLineBytes: 1 << 20)
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var descriptors = [
            pollfd(fd: stop.descriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: child.output, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            descriptors[0].revents = 0
            descriptors[1].revents = 0
            guard poll(&descriptors, 2, -1) >= 0 || errno == EINTR else { return }
            if descriptors[0].revents != 0 { return }
            guard descriptors[1].revents != 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(child.output, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            var handed = false
            buffer.withUnsafeBufferPointer { all in
                _ = splitter.feed(UnsafeBufferPointer(rebasing: all[0..<count])) { line, _ in
                    guard let entry = JournalEntry.parse(line) else { return }
                    consumer.consume(entry, origin: LineOrigin(stream: FNV1a.hash(entry.cursor), offset: 0))
                    cursor = entry.cursor
                    entries += 1
                    handed = true
                }
            }
            if handed { checkpoint() }
        }
    }

    private func checkpoint() {
        if let mark = consumer.flush() { consumerMark = mark }
        do {
            try store.save(FollowerState(journalCursor: cursor, consumerMark: consumerMark))
        } catch {
            logger.error("cannot save the journal cursor", metadata: ["error": "\(error)"])
        }
    }

    private func sleep(for duration: Duration, stop: FollowerStopSignal) {
        var entry = pollfd(fd: stop.descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(clamping: duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
        _ = poll(&entry, 1, milliseconds)
    }
}
