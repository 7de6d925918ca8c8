import FoundationEssentials
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// Ends an SSH session recorded at detection time, and only that session.
///
/// The pid alone proves nothing: the session may have ended and its pid gone to another process. So a pidfd is opened
/// on the pid first, then the process is checked (from /proc) to still be `sshd` or `sshd-session` with the start time
/// recorded at detection, and every signal goes through that pidfd: the process checked is the process signalled,
/// even if it exits and its pid is reused between the check and the signal. Then SIGTERM, and SIGKILL if it is still
/// there after the grace period; the report says which was needed. (Kernels without pidfds fall back to `kill`.)
struct SessionKiller: Sendable {
    var processes = ProcessTable()
    var signaller: any ProcessSignaller = KernelSignaller()
    /// Time between SIGTERM and SIGKILL (`responses.kill_grace`).
    var grace: Duration = .seconds(3)
    /// Time SIGKILL gets before the kill is reported failed.
    var killWait: Duration = .seconds(2)
    var pollInterval: Duration = .milliseconds(20)
    /// `comm` values an SSH session process may have (`sshd-session` since OpenSSH 9.8).
    var sessionCommands: Set<String> = ["sshd", "sshd-session"]
    /// Records instead of signalling.
    var dryRun = false

    static let endedOrReused = "session already ended or pid reused"

    func kill(pid: Int32, startTime: UInt64) async -> ActionReport {
        guard pid > 1, pid != getpid() else { return .refused("pid \(pid) is not a session process") }
        guard let status = processes.status(of: pid), isSession(status, startTime: startTime) else {
            return .refused(Self.endedOrReused)
        }
        if dryRun {
            return .done(
                "dry run: would send SIGTERM to \(status.command) pid \(pid), then SIGKILL after \(DurationText.describe(grace)) if it still runs")
        }
        let handle: any SignalHandle
        switch signaller.open(pid) {
        case .success(let opened): handle = opened
        case .failure(let failure) where failure.code == ESRCH:
            return .alreadyDone("\(status.command) pid \(pid) ended before it was signalled")
        case .failure(let failure): return .failed("cannot open pid \(pid) to signal it: \(String(cString: strerror(failure.code)))")
        }
        // Checked again now that the handle pins the process: the pid may have been reused since the first check.
        guard let pinned = processes.status(of: pid), isSession(pinned, startTime: startTime) else {
            return .refused(Self.endedOrReused)
        }
        switch handle.send(SIGTERM) {
        case 0: break
        case ESRCH: return .alreadyDone("\(status.command) pid \(pid) ended before it was signalled")
        case let code: return .failed("SIGTERM to pid \(pid) failed: \(String(cString: strerror(code)))")
        }
        if await waitUntilGone(pid: pid, startTime: startTime, within: grace) {
            return .done("ended \(status.command) pid \(pid) with SIGTERM")
        }
        // The handle still names the checked process: if it ended meanwhile, SIGKILL fails with ESRCH, whoever has the pid now.
        switch handle.send(SIGKILL) {
        case 0: break
        case ESRCH: return .done("ended \(status.command) pid \(pid) with SIGTERM")
        case let code: return .failed("SIGKILL to pid \(pid) failed: \(String(cString: strerror(code)))")
        }
        if await waitUntilGone(pid: pid, startTime: startTime, within: killWait) {
            return .done(
                "ended \(status.command) pid \(pid) with SIGKILL (it outlived SIGTERM for \(DurationText.describe(grace)))")
        }
        return .failed("\(status.command) pid \(pid) still runs after SIGKILL")
    }

    private func isSession(_ status: ProcessTable.Status, startTime: UInt64) -> Bool {
        sessionCommands.contains(status.command) && status.startTime == startTime && !status.hasExited
    }

    private func waitUntilGone(pid: Int32, startTime: UInt64, within limit: Duration) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while true {
            guard let status = processes.status(of: pid), isSession(status, startTime: startTime) else { return true }
            guard clock.now < deadline else { return false }
            try? await clock.sleep(for: pollInterval)
        }
    }
}
