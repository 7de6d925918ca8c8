import FoundationEssentials
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// Ends one process recorded at detection, and only that process: the one way the agent kills (SSH sessions and
/// listeners alike).
///
/// The pid alone proves nothing: the process may have ended and its pid gone to another. So a pidfd is opened on the
/// pid first, then the process is checked (from /proc) to still have the start time recorded at detection (and to
/// pass the caller's own check), and every signal goes through that pidfd: the process checked is the process
/// signalled, even if it exits and its pid is reused between the check and the signal. Then SIGTERM, and SIGKILL if
/// it is still there after the grace period; the report says which was needed. (Kernels without pidfds fall back to
/// `kill`.)
struct ProcessKiller: Sendable {
    var processes = ProcessTable()
    var signaller: any ProcessSignaller = KernelSignaller()
    /// Time between SIGTERM and SIGKILL (`responses.kill_grace`).
    var grace: Duration = .seconds(3)
    /// Time SIGKILL gets before the kill is reported failed.
    var killWait: Duration = .seconds(2)
    var pollInterval: Duration = .milliseconds(20)
    /// Records instead of signalling.
    var dryRun = false

    /// What the caller kills, for refusals: `a session process`, `a listener's process`.
    struct Target: Sendable {
        var noun: String
        /// The refusal when the process is gone or its pid now names another process.
        var endedOrReused: String
        /// The caller's own test of the process, beside its start time (a session's `comm`).
        var accepts: @Sendable (ProcessTable.Status) -> Bool = { _ in true }
    }

    func kill(pid: Int32, startTime: UInt64, target: Target) async -> ActionReport {
        // pid 1 and the agent itself are never a detected process, whatever a command says.
        guard pid > 1, pid != getpid() else { return .refused("pid \(pid) is not \(target.noun)") }
        let matches = { (status: ProcessTable.Status) in status.startTime == startTime && !status.hasExited && target.accepts(status) }
        guard let status = processes.status(of: pid), matches(status) else { return .refused(target.endedOrReused) }
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
        guard let pinned = processes.status(of: pid), matches(pinned) else { return .refused(target.endedOrReused) }
        switch handle.send(SIGTERM) {
        case 0: break
        case ESRCH: return .alreadyDone("\(status.command) pid \(pid) ended before it was signalled")
        case let code: return .failed("SIGTERM to pid \(pid) failed: \(String(cString: strerror(code)))")
        }
        if await waitUntilGone(pid: pid, matches: matches, within: grace) {
            return .done("ended \(status.command) pid \(pid) with SIGTERM")
        }
        // The handle still names the checked process: if it ended meanwhile, SIGKILL fails with ESRCH, whoever has the pid now.
        switch handle.send(SIGKILL) {
        case 0: break
        case ESRCH: return .done("ended \(status.command) pid \(pid) with SIGTERM")
        case let code: return .failed("SIGKILL to pid \(pid) failed: \(String(cString: strerror(code)))")
        }
        if await waitUntilGone(pid: pid, matches: matches, within: killWait) {
            return .done(
                "ended \(status.command) pid \(pid) with SIGKILL (it outlived SIGTERM for \(DurationText.describe(grace)))")
        }
        return .failed("\(status.command) pid \(pid) still runs after SIGKILL")
    }

    private func waitUntilGone(pid: Int32, matches: (ProcessTable.Status) -> Bool, within limit: Duration) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while true {
            guard let status = processes.status(of: pid), matches(status) else { return true }
            guard clock.now < deadline else { return false }
            // A cancelled wait ends at the deadline check above, one poll later.
            try? await clock.sleep(for: pollInterval)
        }
    }
}
