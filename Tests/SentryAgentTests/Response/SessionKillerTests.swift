import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// Real processes named `sshd` (a copy of `sleep`), real signals: only processes this test started are touched.
@Suite("Session kill", .serialized, .system)
struct SessionKillerTests {
    /// A running fake session: a copy of `sleep` called `sshd`, optionally ignoring SIGTERM.
    final class FakeSession {
        let process = Process()
        let directory: TemporaryDirectory
        let pid: Int32
        let startTime: UInt64

        init(name: String = "sshd", ignoresTerm: Bool = false) async throws {
            directory = try TemporaryDirectory()
            let binary = "\(directory.path)/\(name)"
            try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: binary)
            // Children of a test thread inherit its blocked signal mask; perl clears it (and, when asked, sets SIGTERM
            // to ignored, which survives exec) before becoming the `sshd` copy.
            let ignore = ignoresTerm ? "$SIG{TERM} = 'IGNORE'; " : ""
            process.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
            process.arguments = ["-MPOSIX", "-e", "sigprocmask(SIG_SETMASK, POSIX::SigSet->new); \(ignore)exec @ARGV", binary, "30"]
            try process.run()
            pid = process.processIdentifier
            var status: ProcessTable.Status?
            for _ in 0..<100 {
                status = ProcessTable().status(of: pid)
                if status?.command == name { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            guard let status, status.command == name else { throw CancellationError() }
            startTime = status.startTime
        }

        var isAlive: Bool { ProcessTable().status(of: pid).map { !$0.hasExited } ?? false }

        /// True when no signal is pending for the process (`SigPnd` and `ShdPnd` in `/proc/<pid>/status` are zero):
        /// `kill` marks a signal pending before it returns, so a signal sent earlier is either still pending here or
        /// has already ended the process.
        var hasNoPendingSignal: Bool {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return false }
            let pending = status.split(separator: "\n").filter { $0.hasPrefix("SigPnd:") || $0.hasPrefix("ShdPnd:") }
            return pending.count == 2 && pending.allSatisfy { $0.split(separator: "\t").last?.allSatisfy { $0 == "0" } == true }
        }

        func stop() {
            if process.isRunning { kill(pid, SIGKILL) }
            directory.remove()
        }
    }

    @Test("a session that honours SIGTERM ends with SIGTERM alone")
    func terminates() async throws {
        let session = try await FakeSession()
        defer { session.stop() }
        let report = await SessionKiller(grace: .seconds(3)).kill(pid: session.pid, startTime: session.startTime)
        #expect(report == .done("ended sshd pid \(session.pid) with SIGTERM"))
        #expect(!session.isAlive)
    }

    @Test("a session that ignores SIGTERM gets SIGKILL after the grace period, and the report says so")
    func escalates() async throws {
        let session = try await FakeSession(ignoresTerm: true)
        defer { session.stop() }
        let clock = ContinuousClock()
        let started = clock.now
        let report = await SessionKiller(grace: .milliseconds(500)).kill(pid: session.pid, startTime: session.startTime)
        let elapsed = clock.now - started
        #expect(report == .done("ended sshd pid \(session.pid) with SIGKILL (it outlived SIGTERM for 500ms)"))
        #expect(elapsed >= .milliseconds(500))
        #expect(!session.isAlive)
    }

    @Test("a pid whose start time differs (reused) is refused and not signalled")
    func pidReused() async throws {
        let session = try await FakeSession()
        defer { session.stop() }
        let report = await SessionKiller().kill(pid: session.pid, startTime: session.startTime + 1)
        #expect(report == .refused(SessionKiller.endedOrReused))
        // Checked at once, no pause: alive with nothing pending means no signal was ever sent.
        #expect(session.isAlive)
        #expect(session.hasNoPendingSignal)
    }

    @Test("a process that is not sshd or sshd-session is refused and not signalled")
    func wrongCommand() async throws {
        let session = try await FakeSession(name: "sleep")
        defer { session.stop() }
        let report = await SessionKiller().kill(pid: session.pid, startTime: session.startTime)
        #expect(report == .refused(SessionKiller.endedOrReused))
        #expect(session.isAlive)
    }

    @Test("sshd-session (OpenSSH 9.8+) is a session process too")
    func sshdSession() async throws {
        let session = try await FakeSession(name: "sshd-session")
        defer { session.stop() }
        #expect(await SessionKiller().kill(pid: session.pid, startTime: session.startTime).outcome == .done)
    }

    @Test("an ended session, pid 1 and the agent itself are refused with nothing signalled")
    func refusals() async throws {
        let signaller = RecordingSignaller()
        let fake = try FakeProcRoot.make([4242: ("sshd", "Z", 5), 1: ("sshd", "S", 1)])
        defer { fake.remove() }
        let killer = SessionKiller(processes: ProcessTable(root: fake.path), signaller: signaller)
        #expect(await killer.kill(pid: 4242, startTime: 5) == .refused(SessionKiller.endedOrReused))
        #expect(await killer.kill(pid: 4243, startTime: 5) == .refused(SessionKiller.endedOrReused))
        #expect(await killer.kill(pid: 1, startTime: 1) == .refused("pid 1 is not a session process"))
        #expect(await killer.kill(pid: getpid(), startTime: 1) == .refused("pid \(getpid()) is not a session process"))
        #expect(signaller.signals.isEmpty)
    }

    @Test("the kernel signaller pins the process with a pidfd: once that process is gone, a signal reaches nobody")
    func pidfdPinsTheProcess() async throws {
        let session = try await FakeSession()
        defer { session.stop() }
        let handle = try KernelSignaller().open(session.pid).get()
        let pidfd = try #require(handle as? PidfdHandle, "pidfd_open is available on this kernel, so kill() must not be used")
        let info = try String(contentsOfFile: "/proc/self/fdinfo/\(pidfd.descriptor)", encoding: .utf8)
        #expect(info.contains("Pid:\t\(session.pid)\n"))
        // When the process ends and is reaped, its pid is free for reuse; the handle must not follow the number.
        #expect(kill(session.pid, SIGKILL) == 0)
        session.process.waitUntilExit()
        #expect(handle.send(SIGTERM) == ESRCH)
    }

    @Test("stat lines parse from the last parenthesis, whatever the command name holds")
    func parsesStat() {
        let line = "4242 (sshd: a) (b) S 1 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 123456 1000 100 0 0 0\n"
        #expect(ProcessTable.parseStat(line) == ProcessTable.Status(command: "sshd: a) (b", state: "S", startTime: 123_456))
        #expect(ProcessTable.parseStat("garbage") == nil)
        #expect(ProcessTable.parseStat("1 (x) S 1 2") == nil)
    }
}
