import Shared

/// Ends an SSH session recorded at detection, and only that session: `ProcessKiller` with the session's own check,
/// that the process is still `sshd` or `sshd-session`.
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
        let killer = ProcessKiller(
            processes: processes, signaller: signaller, grace: grace, killWait: killWait, pollInterval: pollInterval, dryRun: dryRun)
        let commands = sessionCommands
        let target = ProcessKiller.Target(noun: "a session process", endedOrReused: Self.endedOrReused) { commands.contains($0.command) }
        return await killer.kill(pid: pid, startTime: startTime, target: target)
    }
}
