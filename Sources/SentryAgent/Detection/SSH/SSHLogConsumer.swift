import Shared

/// Feeds sshd's log lines (syslog files, sshd's `-E` file, or journald entries) to the SSH detectors.
///
/// The same consumer runs live (with `sessionProcesses` to record the session's start time from `/proc`, and a
/// `KnownLoginStore`) and in `replay` (without either: the processes of an old log are long gone).
struct SSHLogConsumer: LineConsumer, JournalEntryConsumer {
    private(set) var sessions: SSHSessionDetector?
    private(set) var bruteForce: SSHBruteForceDetector?
    let sessionProcesses: SSHSessionProcesses?
    let knownLoginStore: KnownLoginStore?
    let outlet: any DetectionOutlet
    /// Unix seconds now: places year-less syslog times and dates headerless lines.
    let wallClock: @Sendable () -> Int64
    let utcOffset: Int64
    private var now: Int64?
    private var pending: [Detection] = []
    /// Files (streams) seen with syslog headers: a headerless line in one of them is not sshd's (see `consume`).
    private var syslogStreams: Set<UInt64> = []
    private(set) var lines = 0
    /// Lines written by sshd (the rest of an auth log is sudo, cron, PAM of other programs…).
    private(set) var sshLines = 0
    /// sshd messages a detector reads: accepted logins and failed attempts.
    private(set) var recognised = 0
    private(set) var detections = 0
    /// Remembers the account tools' and sudo's lines of the same log, for the identity alerts (live only).
    var accountLog: AccountLogCorrelator? = nil

    init(
        sessions: SSHSessionDetector?, bruteForce: SSHBruteForceDetector?, sessionProcesses: SSHSessionProcesses?,
        knownLoginStore: KnownLoginStore?, outlet: any DetectionOutlet, wallClock: @escaping @Sendable () -> Int64, utcOffset: Int64
    ) {
        self.sessions = sessions
        self.bruteForce = bruteForce
        self.sessionProcesses = sessionProcesses
        self.knownLoginStore = knownLoginStore
        self.outlet = outlet
        self.wallClock = wallClock
        self.utcOffset = utcOffset
    }

    mutating func consume(_ line: UnsafeBufferPointer<UInt8>, origin: LineOrigin) {
        lines += 1
        let clock = currentTime()
        let header = SyslogLine.parse(line, reference: clock, utcOffset: utcOffset)
        if header.time != nil {
            if syslogStreams.count >= 1024 { syslogStreams.removeAll() }
            syslogStreams.insert(origin.stream)
            if let accountLog, let time = header.time, (4...9).contains(header.program.count) {
                accountLog.record(program: line.string(header.program), message: line.string(header.message), time: time)
            }
            // sshd always logs with its pid: `logger -t sshd` and other programs' lines are not sshd's.
            guard header.pid != nil, header.isSSHServer(line) else { return }
        } else if syslogStreams.contains(origin.stream) {
            // A file whose lines carry syslog headers is a syslog file: a line without one there was not written by
            // syslog for sshd (a continuation of another program's multi-line message, or a forgery). Only sshd's
            // own `-E` file has headerless lines.
            return
        }
        sshLines += 1
        handle(line, header.message, pid: header.pid, time: header.time ?? clock, origin: origin)
    }

    mutating func consume(_ entry: JournalEntry, origin: LineOrigin) {
        lines += 1
        sshLines += 1
        let time = entry.unixSeconds ?? currentTime()
        entry.message.withUnsafeBufferPointer { message in
            handle(message, 0..<message.endIgnoringCarriageReturn, pid: entry.pid, time: time, origin: origin)
        }
    }

    mutating func flush() -> Int64? {
        now = nil
        if let store = knownLoginStore, let learned = sessions?.takeLearned(), !learned.isEmpty, let known = sessions?.knownLogins {
            store.append(learned, all: known)
        }
        guard !pending.isEmpty else { return nil }
        outlet.deliver(pending)
        detections += pending.count
        pending.removeAll()
        return nil
    }

    private mutating func currentTime() -> Int64 {
        if let now { return now }
        let time = wallClock()
        now = time
        return time
    }

    private mutating func handle(_ bytes: UnsafeBufferPointer<UInt8>, _ message: Range<Int>, pid: Int32?, time: Int64, origin: LineOrigin) {
        guard let parsed = SSHLogMessage.parse(bytes, message) else { return }
        recognised += 1
        switch parsed {
        case .accepted(let method, let user, let ip, let port):
            // Optional chaining mutates the detector in place; a `var` copy would copy its tables on every line.
            guard
                var detection = sessions?.accepted(
                    method: bytes.string(method), user: bytes.string(user), ip: ip, port: port, pid: pid, time: time, origin: origin)
            else { return }
            if let sessionProcesses, case .sshSession(var evidence) = detection.subject {
                if let pid, let start = sessionProcesses.startTime(ofServer: pid) {
                    evidence.pidStartTime = start
                } else if pid == nil, let found = sessionProcesses.sessionProcess(clientIP: ip, clientPort: port) {
                    evidence.pid = found.pid
                    evidence.pidStartTime = found.startTime
                }
                detection.subject = .sshSession(evidence)
            }
            pending.append(detection)
        case .failure(let kind, let user, let ip):
            if let detection = bruteForce?.failure(kind, user: user.map { bytes.string($0) }, ip: ip, time: time, origin: origin) {
                pending.append(detection)
            }
        }
    }
}
