import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// Who changed an account, from the log: the account tools' lines and the `sudo … COMMAND=` before them, in Debian's
/// formats, correlated with the identity change that names the same account.
@Suite("identity: who, from the log", .serialized, .system)
struct AccountLogSystemTests {
    static let canRun = SystemRequirements.isRoot && ["useradd", "usermod"].allSatisfy(SystemRequirements.has)
    static let reason: Comment = "needs root, useradd and usermod"

    /// rsyslog's default timestamp on Debian 12 and later (`2026-11-30T09:00:00.123456+00:00`).
    static func stamp(_ date: Date = Date()) -> String {
        let format = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(secondsFromGMT: 0)!)
        return date.formatted(format).replacingOccurrences(of: "Z", with: "+00:00")
    }

    @Test("sudo's COMMAND= names who ran the tool; the tool's own line alone names the tool; other programs and old lines are ignored")
    func correlator() {
        let log = AccountLogCorrelator(window: 300)
        log.record(program: "sshd", message: "Accepted publickey for alice from 203.0.113.9 port 50000 ssh2", time: 1000)
        log.record(program: "sudo", message: "    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/vim /etc/hosts", time: 1000)
        log.record(
            program: "sudo", message: "    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/sbin/usermod -aG sudo bob", time: 1001)
        log.record(program: "usermod", message: "add 'bob' to group 'sudo'", time: 1001)
        log.record(program: "usermod", message: "add 'bob' to shadow group 'sudo'", time: 1001)
        log.record(
            program: "useradd", message: "new user: name=carol, UID=1002, GID=1002, home=/home/carol, shell=/bin/sh, from=/dev/pts/1", time: 1002)
        #expect(log.describe(account: "bob", around: 1002) == "by alice via sudo /usr/sbin/usermod -aG sudo bob")
        #expect(
            log.describe(account: "carol", around: 1002)
                == "useradd: new user: name=carol, UID=1002, GID=1002, home=/home/carol, shell=/bin/sh, from=/dev/pts/1")
        #expect(log.describe(account: "alice", around: 1002) == nil, "alice ran sudo; no line changed her account")
        #expect(log.describe(account: "bob", around: 1001 + 301) == nil, "older than the window")
        #expect(log.describe(account: "dave", around: 1002) == nil)
    }

    @Test(
        "an auth.log followed by the agent: the sudo line, then usermod -aG sudo → the alert says by alice via sudo usermod",
        .enabled(if: canRun, reason))
    func fromAuthLog() async throws {
        let tree = try IdentityTree()
        defer { tree.tree.remove(); tree.state.remove() }
        let user = IdentityWatchSystemTests.uniqueUser()
        try await IdentityTree.run("/usr/sbin/useradd", ["--prefix", tree.root, "-M", user])
        let directory = try TemporaryDirectory("vigil-account-log")
        defer { directory.remove() }
        let authLog = directory.file("auth.log")
        _ = FileManager.default.createFile(atPath: authLog, contents: nil)

        var configuration = DetectorsConfiguration()
        // The SSH follower runs only for an SSH detector: sessions on, with nothing in the log for it.
        configuration.ssh.bruteForce = false
        configuration.ssh.source = .file
        configuration.ssh.paths = [authLog]
        configuration.cpu.enabled = false
        configuration.listeners.enabled = false
        configuration.http404.enabled = false
        configuration.identity.root = tree.root
        let state = directory.file("state")
        let sink = RecordingSink()
        let service = DetectionSystemTests.startService(configuration, state: state, sink: sink)
        defer { service.cancel() }
        try await waitUntil("the auth log is followed and the identity baseline formed", timeout: .seconds(20)) {
            FileManager.default.fileExists(atPath: state + "/positions/ssh.json")
                && FileManager.default.fileExists(atPath: state + "/identity/baseline.json")
        }

        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: authLog))
        let command = "/usr/sbin/usermod -aG sudo \(user)"
        handle.write(Data("\(Self.stamp()) web-1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=\(command)\n".utf8))
        try await IdentityTree.run("/usr/sbin/usermod", ["--prefix", tree.root, "-aG", "sudo", user])
        handle.write(Data("\(Self.stamp()) web-1 usermod[4242]: add '\(user)' to group 'sudo'\n".utf8))
        try handle.close()

        let alert = await DetectionSystemTests.waitForAlert(sink) { alert in
            guard case .identity(let evidence) = alert.subject else { return false }
            return evidence.path == "/etc/group"
        }
        guard case .identity(let evidence)? = alert?.subject else {
            Issue.record("no identity_change for /etc/group: \(sink.alerts.map(\.kind))")
            return
        }
        #expect(evidence.changes.contains { $0.change == "group_member_added" && $0.target == "\(user):sudo" })
        #expect(evidence.changes.contains { $0.change == "logged_by" && $0.detail == "by alice via sudo \(command)" }, "\(evidence.changes)")
    }
}
