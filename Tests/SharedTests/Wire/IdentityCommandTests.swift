import Foundation
import Testing

@testable import Shared

/// The identity answers on the wire: each action's JSON, and each command built from an identity_change alert's
/// evidence alone (the path, hashes, key fingerprint, user, group, writer and SSH session it names).
@Suite("Identity commands")
struct IdentityCommandTests {
    static let fingerprint = "SHA256:uVA5O7gvBH9pTsWQ6sTQWmxVGlOGq1eB0N4cJ3mKk6E"
    static let writer = WriterEvidence(
        pid: 4242, pidStartTime: 777, exe: "/usr/bin/vim", commandLine: "vim authorized_keys", loginUID: 1000, loginUser: "alice",
        parents: ["bash(4200)", "sshd-session(4100)"], sshSessionPID: 4100, sshFrom: "203.0.113.9", sshSessionStartTime: 555)

    static func alert(_ evidence: IdentityEvidence) -> Alert {
        Alert(
            agent: "web-1", hostname: "web-1", kind: .identityChange, severity: .critical, observedAt: Date(), subject: .identity(evidence),
            actions: [])
    }

    static let keyChange = IdentityEvidence(
        path: "/root/.ssh/authorized_keys", category: "authorized_keys",
        changes: [IdentityFact(change: "key_added", detail: "key added: ssh-ed25519 \(fingerprint)", target: fingerprint, critical: true)],
        sizeBefore: 0, sizeAfter: 90, sha256After: String(repeating: "a", count: 64), writer: writer, seenBy: "realtime",
        sha256Before: String(repeating: "b", count: 64))

    static func command(_ action: AlertAction, on evidence: IdentityEvidence) throws -> ResponseAction {
        try ResponseAction(for: action, on: alert(evidence))
    }

    @Test("each identity action round-trips through its wire JSON, with its snake_case fields")
    func roundTrip() throws {
        let actions: [ResponseAction] = [
            .acceptChange(path: "/etc/passwd", sha256: "ab"), .acceptChange(path: "/etc/cron.d/x", sha256: nil),
            .revertFile(path: "/etc/sudoers", sha256: "aa", sha256Before: "bb"),
            .removeKey(path: "/root/.ssh/authorized_keys", fingerprint: Self.fingerprint),
            .lockUser(user: "mallory"), .removeFromGroup(user: "mallory", group: "sudo"), .killWriter(pid: 42, startTime: 7),
        ]
        for action in actions {
            #expect(try WireCoding.decode(ResponseAction.self, from: try WireCoding.encode(action)) == action)
        }
        let revert = String(decoding: try WireCoding.encode(actions[2]), as: UTF8.self)
        #expect(revert == #"{"path":"/etc/sudoers","sha256":"aa","sha256_before":"bb","type":"revert_file"}"#)
        let group = String(decoding: try WireCoding.encode(actions[5]), as: UTF8.self)
        #expect(group == #"{"group":"sudo","type":"remove_from_group","user":"mallory"}"#)
    }

    @Test("a writer recorded before the session's start time was added still decodes (the new field is optional)")
    func olderWriterDecodes() throws {
        let json = #"{"login_uid":1000,"parents":[],"pid":1,"ssh_session_pid":9}"#
        let writer = try WireCoding.decode(WriterEvidence.self, from: Array(json.utf8))
        #expect(writer.sshSessionPID == 9 && writer.loginUID == 1000 && writer.sshSessionStartTime == nil)
    }

    @Test("the writer's session pid, login uid and session start time survive the wire (Kill session needs them on the hub)")
    func writerRoundTrip() throws {
        let text = String(decoding: try WireCoding.encode(Self.writer), as: UTF8.self)
        #expect(text.contains(#""ssh_session_pid":4100"#) && text.contains(#""login_uid":1000"#) && text.contains(#""ssh_session_start_time":555"#))
        #expect(try WireCoding.decode(WriterEvidence.self, from: Array(text.utf8)) == Self.writer)
        let alert = Self.alert(Self.keyChange)
        let decoded = try WireCoding.decode(Alert.self, from: try WireCoding.encode(alert))
        #expect(try ResponseAction(for: .killSession, on: decoded) == .killSession(pid: 4100, startTime: 555))
    }

    @Test("a key added: Remove this key sends the path and fingerprint; Revert the hashes; Kill writer the writer; Accept the content")
    func keyCommands() throws {
        let change = Self.keyChange
        #expect(try Self.command(.removeKey, on: change) == .removeKey(path: change.path, fingerprint: Self.fingerprint))
        #expect(
            try Self.command(.revertFile, on: change)
                == .revertFile(path: change.path, sha256: String(repeating: "a", count: 64), sha256Before: String(repeating: "b", count: 64)))
        #expect(try Self.command(.killWriter, on: change) == .killWriter(pid: 4242, startTime: 777))
        #expect(try Self.command(.acceptChange, on: change) == .acceptChange(path: change.path, sha256: String(repeating: "a", count: 64)))
        #expect(throws: CommandConstructionError.self) { try Self.command(.lockUser, on: change) }
        #expect(throws: CommandConstructionError.self) { try Self.command(.removeFromGroup, on: change) }
    }

    @Test("a change made from an SSH session: Kill the session sends that session's pid and start time, Block its client")
    func sessionCommands() throws {
        #expect(try Self.command(.killSession, on: Self.keyChange) == .killSession(pid: 4100, startTime: 555))
        #expect(try Self.command(.blockIP1h, on: Self.keyChange) == .blockIP(ip: "203.0.113.9", durationSeconds: 3600))
        var local = Self.keyChange
        local.writer?.sshSessionStartTime = nil
        #expect(throws: CommandConstructionError.self) { try Self.command(.killSession, on: local) }
    }

    @Test("a user added to sudo: Remove from group sends user and group; a user added: Lock user sends the user")
    func accountCommands() throws {
        let group = IdentityEvidence(
            path: "/etc/group", category: "group",
            changes: [
                IdentityFact(change: "group_member_added", detail: "bob added to group sudo", target: "bob:sudo", critical: true),
                IdentityFact(change: "group_member_added", detail: "bob added to group video", target: "bob:video"),
            ],
            sizeBefore: 900, sizeAfter: 904, sha256After: "a", writer: nil, seenBy: "realtime", sha256Before: "b")
        #expect(try Self.command(.removeFromGroup, on: group) == .removeFromGroup(user: "bob", group: "sudo"))
        let passwd = IdentityEvidence(
            path: "/etc/passwd", category: "passwd",
            changes: [IdentityFact(change: "user_added", detail: "user mallory added", target: "mallory")], sizeBefore: 900, sizeAfter: 950,
            sha256After: "a", writer: nil, seenBy: "verification", sha256Before: "b")
        #expect(try Self.command(.lockUser, on: passwd) == .lockUser(user: "mallory"))
        #expect(throws: CommandConstructionError.self) { try Self.command(.killWriter, on: passwd) }
    }

    @Test("a package-run digest gets no file or account command")
    func digestGetsNone() {
        var digest = Self.keyChange
        digest.digestPaths = ["/root/.ssh/authorized_keys", "/etc/passwd"]
        for action in [AlertAction.acceptChange, .revertFile, .removeKey] {
            #expect(throws: CommandConstructionError.self) { try Self.command(action, on: digest) }
        }
    }
}
