import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// The writer's description from a fixture `/proc`: parents, login user, the SSH session and its client address.
@Suite("identity: the writer from /proc")
struct WriterReaderTests {
    static func stat(_ pid: Int32, _ name: String, parent: Int32, start: UInt64) -> String {
        "\(pid) (\(name)) S \(parent) \(pid) \(pid) 0 -1 4194304 0 0 0 0 5 3 0 0 20 0 1 0 \(start) 1000 100\n"
    }

    @Test("a write under sudo in an SSH session names the login user, the parents, the session pid and the client address")
    func sudoInSSH() throws {
        let proc = try TemporaryDirectory("vigil-proc")
        defer { proc.remove() }
        let processes: [(Int32, String, Int32, String?)] = [
            (400, "tee", 390, nil), (390, "sudo", 380, nil), (380, "bash", 370, "TERM=xterm\0SSH_CONNECTION=203.0.113.9 51234 10.0.0.1 22\0"),
            (370, "sshd-session", 1, nil),
        ]
        for (pid, name, parent, environment) in processes {
            try FileManager.default.createDirectory(atPath: proc.file("\(pid)"), withIntermediateDirectories: true)
            try Data(Self.stat(pid, name, parent: parent, start: UInt64(pid) * 10).utf8).write(to: URL(fileURLWithPath: proc.file("\(pid)/stat")))
            if let environment { try Data(environment.utf8).write(to: URL(fileURLWithPath: proc.file("\(pid)/environ"))) }
        }
        try Data("1000".utf8).write(to: URL(fileURLWithPath: proc.file("400/loginuid")))
        try Data("tee\0-a\0/etc/hosts\0".utf8).write(to: URL(fileURLWithPath: proc.file("400/cmdline")))
        let reader = WriterReader(proc: ProcFileSystem(root: proc.path), users: FixedUserNames(names: [1000: "alice"]))
        let writer = try #require(reader.writer(pid: 400))
        #expect(writer.evidence.loginUser == "alice" && writer.evidence.pidStartTime == 4000)
        #expect(writer.evidence.parents == ["sudo(390)", "bash(380)", "sshd-session(370)"])
        #expect(writer.evidence.sshSessionPID == 370 && writer.evidence.sshFrom == "203.0.113.9")
        #expect(writer.evidence.commandLine == "tee -a /etc/hosts" && !writer.isPackageRun)
    }

    @Test("a writer under dpkg is a package run; a gone writer is nil")
    func packageRun() throws {
        let proc = try TemporaryDirectory("vigil-proc")
        defer { proc.remove() }
        for (pid, name, parent) in [(500, "useradd", 490), (490, "dpkg", 1)] as [(Int32, String, Int32)] {
            try FileManager.default.createDirectory(atPath: proc.file("\(pid)"), withIntermediateDirectories: true)
            try Data(Self.stat(pid, name, parent: parent, start: 1).utf8).write(to: URL(fileURLWithPath: proc.file("\(pid)/stat")))
        }
        let reader = WriterReader(proc: ProcFileSystem(root: proc.path), users: FixedUserNames(names: [:]))
        #expect(reader.writer(pid: 500)?.isPackageRun == true)
        #expect(reader.writer(pid: 501) == nil)
    }
}
