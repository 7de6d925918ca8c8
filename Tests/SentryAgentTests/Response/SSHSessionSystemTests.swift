import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// A real sshd on 127.0.0.1 with a throwaway host key and client key, a real login, and a real kill through the
/// sealed `/response` endpoint.
@Suite(
    "Killing a real SSH session",
    .serialized,
    .system,
    .enabled(
        if: SystemRequirements.isRoot && SystemRequirements.has("sshd") && SystemRequirements.has("ssh")
            && SystemRequirements.has("ssh-keygen"),
        "needs root, sshd, ssh and ssh-keygen (.ci/run installs openssh-server and openssh-client)")
)
struct SSHSessionSystemTests {
    @Test("the session's sshd process is killed through /response; the same command id again is already_done")
    func killRealSession() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let port = try FreePort.loopback()
        try await Self.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", directory.path + "/host"])
        try await Self.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", directory.path + "/client"])
        try FileManager.default.copyItem(atPath: directory.path + "/client.pub", toPath: directory.path + "/authorized_keys")
        try """
        Port \(port)
        ListenAddress 127.0.0.1
        HostKey \(directory.path)/host
        PidFile none
        AuthorizedKeysFile \(directory.path)/authorized_keys
        StrictModes no
        UsePAM no
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        PermitRootLogin prohibit-password

        """.write(toFile: directory.path + "/sshd_config", atomically: true, encoding: .utf8)
        // sshd's privilege-separation directory; the Debian package creates it at boot.
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)

        let daemon = Self.unmaskedProcess(["/usr/sbin/sshd", "-D", "-e", "-f", directory.path + "/sshd_config"])
        try daemon.run()
        // SIGKILL: test children inherit a blocked signal mask, and a blocking wait here would hold a worker thread.
        defer { kill(daemon.processIdentifier, SIGKILL) }
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/ssh")
        client.arguments = [
            "-i", directory.path + "/client", "-p", "\(port)", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectionAttempts=20", "root@127.0.0.1", "sleep 60",
        ]
        client.standardError = FileHandle.nullDevice
        try client.run()
        defer { if client.isRunning { kill(client.processIdentifier, SIGKILL) } }

        // The session is up when the session's sshd (child of the daemon) has the remote `sleep` below it.
        let (session, remote) = try await Self.waitForSession(daemon: daemon.processIdentifier)
        // The remote `sleep` outlives its killed session (reparented to init); it is ours to clean up.
        defer { for pid in remote { kill(pid, SIGKILL) } }
        let status = try #require(ProcessTable().status(of: session))
        #expect(["sshd", "sshd-session"].contains(status.command))

        let responders = Executor.Responders.make(
            configuration: ResponsesConfiguration(), hubAddresses: [], dryRun: false, runner: RecordingCommandRunner(),
            localAddresses: { [] }, logger: Logger(label: "test"))
        try await AgentUnderTest.run(responders: responders, journalDirectory: directory.path) { agent in
            let command = ResponseCommand.make(.killSession(pid: session, startTime: status.startTime))
            let result = try await agent.send(command)
            #expect(result.outcome == .done, "\(result)")
            #expect(result.detail?.hasPrefix("ended \(status.command) pid \(session) with SIG") == true)

            // The client notices its closed connection within moments; the limit is generous for a loaded machine.
            try await waitUntil("the ssh client disconnects", timeout: .seconds(20), poll: .milliseconds(50)) { !client.isRunning }

            let repeated = try await agent.send(command)
            #expect(repeated.outcome == .alreadyDone)
            #expect(repeated.detail == result.detail)
        }
    }

    /// A process started with an empty signal mask (test threads block signals, and children inherit the mask).
    static func unmaskedProcess(_ argv: [String]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
        process.arguments = ["-MPOSIX", "-e", "sigprocmask(SIG_SETMASK, POSIX::SigSet->new); exec @ARGV"] + argv
        return process
    }

    /// The session's sshd pid, and the pids below it.
    static func waitForSession(daemon: Int32) async throws -> (Int32, [Int32]) {
        for _ in 0..<200 {
            let table = Self.parents()
            for (pid, parent) in table where parent == daemon {
                // With PAM a privileged monitor sits between the session and its shell; without, `sleep` is a child.
                let children = table.filter { $0.value == pid }.map(\.key)
                let grandchildren = table.filter { children.contains($0.value) }.map(\.key)
                let below = children + grandchildren
                if below.contains(where: { ProcessTable().status(of: $0)?.command == "sleep" }) { return (pid, below) }
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw NetworkNamespacePair.SetupFailure(description: "no ssh session appeared")
    }

    /// pid → parent pid for every process.
    static func parents() -> [Int32: Int32] {
        var table: [Int32: Int32] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(name), let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { continue }
            let text = String(decoding: data, as: UTF8.self)
            guard let close = text.lastIndex(of: ")") else { continue }
            let fields = text[text.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = Int32(fields[1]) { table[pid] = parent }
        }
        return table
    }

    static func run(_ program: String, _ arguments: [String]) async throws {
        let output = await ProcessCommandRunner().run(ProgramInvocation(program, arguments))
        guard output.succeeded else { throw NetworkNamespacePair.SetupFailure(description: "\(program): \(output.failureReason)") }
    }
}
