import Crypto
import FoundationEssentials
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// The responses to an `identity_change` alert. Each re-checks its precondition against the file or process as it
/// is now, so a choice made on an old alert never undoes a later, different change; programs run argv only.
struct IdentityResponder: Sendable {
    let store: IdentityStore
    /// Where host paths are read and written (the detector's `root`; empty for `/`).
    let root: String
    var runner: any CommandRunner = ProcessCommandRunner()
    var processes = ProcessTable()
    var killGrace: Duration = .seconds(3)

    init(store: IdentityStore, root: String, runner: any CommandRunner = ProcessCommandRunner()) {
        self.store = store
        self.root = root == "/" ? "" : root
        self.runner = runner
    }

    /// Takes the file as it is now: only while it still has the content the alert saw (`sha256`; nil: still absent).
    /// The baseline already holds it; what goes is the copy from before the change, so no Revert can undo it later.
    func accept(path: String, sha256: String?) -> ActionReport {
        guard FileSnapshot.read(root + path)?.sha256 == sha256 else { return .refused("\(path) changed again since the alert") }
        if let failure = store.discardPreviousCopy(path) { return .failed(failure) }
        return .done(sha256 == nil ? "\(path) stays removed" : "\(path) as it is now is accepted; the copy from before the change is discarded")
    }

    /// Restores the content kept from before the change, only while the file still has the content the alert saw
    /// (`expectedSHA256`) and the kept copy is the one the alert named (`previousSHA256`). Mode and owner stay.
    func revert(path: String, expectedSHA256: String, previousSHA256: String) -> ActionReport {
        let host = root + path
        guard let current = FileSnapshot.read(host) else { return .refused("\(path) no longer exists") }
        guard current.sha256 == expectedSHA256 else { return .refused("\(path) changed again since the alert") }
        guard let copy = store.loadCopy(path, previous: true), FileSnapshot.hex(SHA256.hash(data: copy)) == previousSHA256 else {
            return .refused("no kept copy of \(path) from before the change")
        }
        if let failure = Self.replace(host, with: copy, like: current.stamp) { return .failed(failure) }
        return .done("restored \(path) to its content before the change (\(copy.count) bytes)")
    }

    /// Removes exactly the lines holding the key with `fingerprint` from an authorized_keys file.
    func removeKey(path: String, fingerprint: String) -> ActionReport {
        let host = root + path
        guard let current = FileSnapshot.read(host), let content = current.content else { return .refused("cannot read \(path)") }
        var kept: [Substring] = []
        var removed = 0
        for line in String(decoding: content, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            if let key = AuthorizedKey(line: line), key.fingerprint == fingerprint {
                removed += 1
            } else {
                kept.append(line)
            }
        }
        guard removed > 0 else { return .alreadyDone("\(path) no longer holds key \(fingerprint)") }
        if let failure = Self.replace(host, with: Array(kept.joined(separator: "\n").utf8), like: current.stamp) { return .failed(failure) }
        return .done("removed key \(fingerprint) from \(path)")
    }

    /// Locks the account (`usermod -L -e 1`: no password, expired, so no key login either) and ends its sessions.
    func lockUser(_ user: String) async -> ActionReport {
        guard user != "root", Self.isAccountName(user) else { return .refused("will not lock \(user)") }
        let users = AccountEntries.users(FileSnapshot.read(root + "/etc/passwd")?.content ?? [])
        guard users[user] != nil else { return .refused("no account \(user)") }
        let prefix = root.isEmpty ? [] : ["--prefix", root]
        let lock = await runner.run(ProgramInvocation("/usr/sbin/usermod", prefix + ["-L", "-e", "1", user]))
        guard lock.succeeded else { return .failed("usermod -L -e 1 \(user): \(lock.failureReason)") }
        guard root.isEmpty, access("/usr/bin/loginctl", X_OK) == 0 else { return .done("locked \(user)") }
        let end = await runner.run(ProgramInvocation("/usr/bin/loginctl", ["terminate-user", user]))
        return .done("locked \(user)" + (end.succeeded ? " and ended their sessions" : " (sessions not ended: \(end.failureReason))"))
    }

    /// Takes `user` out of `group`, only while they are a member.
    func removeFromGroup(user: String, group: String) async -> ActionReport {
        guard Self.isAccountName(user), Self.isAccountName(group) else { return .refused("not an account or group name") }
        let groups = AccountEntries.groups(FileSnapshot.read(root + "/etc/group")?.content ?? [])
        guard let entry = groups[group] else { return .refused("no group \(group)") }
        guard entry.members.contains(user) else { return .alreadyDone("\(user) is not in group \(group)") }
        // gpasswd edits /etc/group and /etc/gshadow together; under a prefix (tests) usermod does the same.
        let invocation =
            root.isEmpty
            ? ProgramInvocation("/usr/bin/gpasswd", ["-d", user, group])
            : ProgramInvocation("/usr/sbin/usermod", ["--prefix", root, "-r", "-G", group, user])
        let output = await runner.run(invocation)
        guard output.succeeded else { return .failed("\(invocation.argv.joined(separator: " ")): \(output.failureReason)") }
        return .done("removed \(user) from group \(group)")
    }

    /// Kills the writer, only while `pid` is still the process that started at `startTime` (through a pidfd).
    func killWriter(pid: Int32, startTime: UInt64) async -> ActionReport {
        guard let status = processes.status(of: pid), status.startTime == startTime else { return .refused(SessionKiller.endedOrReused) }
        let killer = SessionKiller(processes: processes, grace: killGrace, sessionCommands: [status.command])
        return await killer.kill(pid: pid, startTime: startTime)
    }

    /// Letters, digits, `_`, `-`, `.` (and a final `$` for machine accounts): nothing an argv could misread as an option.
    static func isAccountName(_ name: String) -> Bool {
        guard let first = name.first, first != "-", name.count <= 32 else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." || $0 == "$") }
    }

    /// Writes `bytes` to `path` atomically (a temporary beside it, fsync, rename) with the mode and owner of `stamp`;
    /// returns why it failed, or nil.
    static func replace(_ path: String, with bytes: [UInt8], like stamp: FileStamp) -> String? {
        let temporary = path + ".vigil-revert"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode_t(stamp.permissions))
        guard descriptor >= 0 else { return "cannot create \(temporary): \(String(cString: strerror(errno)))" }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                close(descriptor)
                unlink(temporary)
                return "cannot write \(temporary): \(String(cString: strerror(errno)))"
            }
            written += count
        }
        let synced = fchown(descriptor, stamp.owner, stamp.group) == 0 && fchmod(descriptor, mode_t(stamp.permissions)) == 0 && fsync(descriptor) == 0
        close(descriptor)
        guard synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            return "cannot replace \(path): \(reason)"
        }
        return nil
    }
}
