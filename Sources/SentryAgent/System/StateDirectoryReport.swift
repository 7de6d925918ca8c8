import FoundationEssentials
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// What an agent's state directory says about it, read without changing anything (`sentry-agent status`): the
/// outbox, each log source's saved positions against the files as they are now, and which process holds the lock.
struct StateDirectoryReport: Sendable {
    /// One followed file as its source last saved it.
    struct Input: Sendable, Equatable {
        var source: String
        var path: String
        /// The saved offset in the current generation, nil when none was saved yet.
        var offset: Int64?
        /// The file's size now, nil when it cannot be read.
        var size: Int64?
        /// Why the file cannot be followed right now, nil when it can.
        var problem: String?
    }

    var directory: String
    var exists: Bool
    var pendingAlerts: Int
    var oldestPending: Date?
    var damagedRegions: Int
    var inputs: [Input]
    var journalCursors: [String: String]
    /// The process holding `state_dir/lock`, nil when none does.
    var lockHolder: Int32?

    /// Reads the report for `directory`; `locks` is `/proc/locks` (a fixture in tests).
    static func read(directory: String, locks: String = "/proc/locks") -> StateDirectoryReport {
        let exists = FileSystemPath.kind(of: directory) == .directory
        let outbox = AlertOutbox.pendingAlerts(directory: directory + "/outbox")
        var inputs: [Input] = []
        var cursors: [String: String] = [:]
        let positions = directory + "/positions"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: positions)) ?? []
        for name in names.sorted() where name.hasSuffix(".json") {
            let source = String(name.dropLast(".json".count))
            guard let state = FileFollowerStateStore(path: positions + "/" + name).load() else {
                inputs.append(Input(source: source, path: positions + "/" + name, problem: "unreadable position file"))
                continue
            }
            if let cursor = state.journalCursor { cursors[source] = cursor }
            for (path, checkpoint) in state.files.sorted(by: { $0.key < $1.key }) {
                inputs.append(Self.input(source: source, path: path, offset: checkpoint.current?.offset))
            }
        }
        return StateDirectoryReport(
            directory: directory, exists: exists, pendingAlerts: outbox.alerts.count, oldestPending: outbox.alerts.first?.observedAt,
            damagedRegions: outbox.report.damagedRegions, inputs: inputs, journalCursors: cursors,
            lockHolder: Self.lockHolder(of: directory + "/lock", locks: locks))
    }

    private static func input(source: String, path: String, offset: Int64?) -> Input {
        var status = stat()
        guard stat(path, &status) == 0 else {
            return Input(source: source, path: path, offset: offset, size: nil, problem: String(cString: strerror(errno)))
        }
        let readable = access(path, R_OK) == 0
        return Input(source: source, path: path, offset: offset, size: Int64(status.st_size), problem: readable ? nil : "not readable")
    }

    /// The pid holding a `flock` on `path`, found in `/proc/locks` by device and inode, so asking never takes the lock
    /// (taking it, even briefly, could make a starting agent refuse to run).
    static func lockHolder(of path: String, locks: String) -> Int32? {
        var status = stat()
        guard stat(path, &status) == 0, let table = try? String(contentsOfFile: locks, encoding: .utf8) else { return nil }
        let inode = UInt64(status.st_ino)
        let device = UInt64(status.st_dev)
        let wantedDevice = "\(hex(major(device))):\(hex(minor(device)))"
        for line in table.split(separator: "\n") {
            // `1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF` (a blocked waiter has `->` after the number).
            let fields = line.split(separator: " ").filter { $0 != "->" }
            guard fields.count >= 6, fields[1] == "FLOCK" || fields[1] == "POSIX" || fields[1] == "OFDLCK" else { continue }
            let identity = fields[5].split(separator: ":")
            guard identity.count == 3, UInt64(identity[2]) == inode, "\(identity[0]):\(identity[1])" == wantedDevice else { continue }
            if let pid = Int32(fields[4]), pid > 0 { return pid }
        }
        return nil
    }

    /// At least two lowercase hex digits, as `/proc/locks` prints device numbers.
    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return digits.count < 2 ? "0" + digits : digits
    }

    private static func major(_ device: UInt64) -> UInt32 { UInt32(((device >> 32) & 0xFFFF_F000) | ((device >> 8) & 0xFFF)) }
    private static func minor(_ device: UInt64) -> UInt32 { UInt32(((device >> 12) & 0xFFFF_FF00) | (device & 0xFF)) }

    /// The report as `sentry-agent status` prints it.
    func render(now: Date = Date()) -> String {
        var lines: [String] = []
        guard exists else { return "state directory \(directory) does not exist (has the agent run yet?)\n" }
        lines.append("state directory  \(directory)")
        if let lockHolder {
            lines.append("agent process    running, pid \(lockHolder) holds \(directory)/lock")
        } else {
            lines.append("agent process    none holds \(directory)/lock (not running)")
        }
        var outbox = "outbox           \(pendingAlerts) alert\(pendingAlerts == 1 ? "" : "s") waiting for the hub"
        if let oldestPending {
            let age = Int64(now.timeIntervalSince(oldestPending))
            outbox += ", oldest observed " + (age < 1 ? "just now" : "\(DurationText.describe(.seconds(age))) ago")
        }
        lines.append(outbox)
        if damagedRegions > 0 {
            lines.append("                 \(damagedRegions) damaged region(s) in the outbox files (repaired at the next start)")
        }
        lines.append("dropped          not kept in the state directory (the running agent reports drops in heartbeats and /metrics)")
        lines.append(inputs.isEmpty && journalCursors.isEmpty ? "inputs           no positions saved yet" : "inputs")
        for input in inputs {
            var text = "  \(input.source)  \(input.path)"
            if let problem = input.problem {
                text += "  UNHEALTHY: \(problem)"
            } else if let offset = input.offset, let size = input.size {
                text += size >= offset ? "  at \(offset) of \(size) bytes" : "  at \(offset), file now \(size) bytes (truncated; restarts at 0)"
            }
            lines.append(text)
        }
        for (source, cursor) in journalCursors.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(source)  journald cursor \(cursor.prefix(40))…")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
