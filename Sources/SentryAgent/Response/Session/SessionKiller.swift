import Foundation
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// Ends an SSH session recorded at detection time, and only that session.
///
/// The pid alone proves nothing: the session may have ended and its pid gone to another process. So the process must
/// still be `sshd` or `sshd-session` with the start time recorded at detection, checked again right before each
/// signal. Then SIGTERM, and SIGKILL if it is still there after the grace period; the report says which was needed.
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
        switch signaller.send(SIGTERM, to: pid) {
        case 0: break
        case ESRCH: return .alreadyDone("\(status.command) pid \(pid) ended before it was signalled")
        case let code: return .failed("SIGTERM to pid \(pid) failed: \(String(cString: strerror(code)))")
        }
        if await waitUntilGone(pid: pid, startTime: startTime, within: grace) {
            return .done("ended \(status.command) pid \(pid) with SIGTERM")
        }
        // Checked again: the process might have ended and the pid been reused during the grace period.
        guard let still = processes.status(of: pid), isSession(still, startTime: startTime) else {
            return .done("ended \(status.command) pid \(pid) with SIGTERM")
        }
        switch signaller.send(SIGKILL, to: pid) {
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
