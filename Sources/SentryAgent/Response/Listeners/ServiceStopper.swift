import FoundationEssentials
import Shared

/// Stops (and, as a separate choice, disables) a new listener's systemd unit with `systemctl`.
///
/// The unit name comes from the agent's own alert, but it is still checked here: only a plain `.service` or
/// `.socket` name reaches `systemctl` (no option, no glob, no path), never the agent's own unit (the agent would
/// stop itself mid-answer) nor sshd's (the operator's way back in).
struct ServiceStopper: Sendable {
    var systemctl: String?
    var runner: any CommandRunner = ProcessCommandRunner()
    /// The agent's own unit, from `/proc/self/cgroup`.
    var ownUnit: String? = Self.currentUnit()
    var dryRun = false

    static let protectedUnits: Set<String> = ["ssh.service", "sshd.service", "ssh.socket", "sshd.socket"]

    func stop(unit: String, disable: Bool) async -> ActionReport {
        guard Self.isPlainUnitName(unit) else { return .refused("\(unit.debugDescription) is not a plain .service or .socket unit name") }
        guard unit != ownUnit else { return .refused("\(unit) is the agent's own unit") }
        guard !Self.protectedUnits.contains(unit) else { return .refused("\(unit) is sshd's unit: stopping it could lock every operator out") }
        guard let systemctl else { return .failed("systemctl is not installed") }
        let steps = [["stop", "--", unit]] + (disable ? [["disable", "--", unit]] : [])
        if dryRun { return .done("dry run: would run " + steps.map { "systemctl " + $0.joined(separator: " ") }.joined(separator: ", then ")) }
        for arguments in steps {
            let invocation = ProgramInvocation(systemctl, arguments, timeout: .seconds(90))
            let output = await runner.run(invocation)
            guard output.succeeded else { return .failed("systemctl \(arguments[0]) \(unit) failed (\(output.failureReason))") }
        }
        return .done(disable ? "stopped and disabled \(unit)" : "stopped \(unit)")
    }

    /// `nginx.service`, `docker.socket`, `getty@tty1.service`: systemd's unit-name characters, a name part that does
    /// not start like an option, and a unit type that runs a program.
    static func isPlainUnitName(_ name: String) -> Bool {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.@-\\")
        guard name.count <= 255, name.allSatisfy(allowed.contains), let first = name.first, first != "-", first != "." else { return false }
        for suffix in [".service", ".socket"] where name.hasSuffix(suffix) && name.count > suffix.count { return true }
        return false
    }

    /// The unit this process runs in, if any.
    static func currentUnit(proc: ProcFileSystem = ProcFileSystem()) -> String? {
        guard let bytes = proc.read("self/cgroup", limit: 64 << 10) else { return nil }
        return CgroupPlacement(cgroupFile: String(decoding: bytes, as: UTF8.self)).unit
    }
}
