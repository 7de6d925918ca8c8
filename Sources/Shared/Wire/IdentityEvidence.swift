import FoundationEssentials

/// A change to a file that decides who may log in, as whom, and what runs at boot or in every process: accounts,
/// sudoers, authorized keys, sshd, cron, units, the loader, PAM, profiles, apt sources (`identity_change`).
public struct IdentityEvidence: Codable, Sendable, Equatable {
    /// The file as the host names it (`/etc/passwd`, `/root/.ssh/authorized_keys`).
    public var path: String
    /// What the file is for: `passwd`, `shadow`, `group`, `gshadow`, `sudoers`, `authorized_keys`, `sshd`, `cron`,
    /// `unit`, `preload`, `loader`, `pam`, `profile`, `apt`, `modprobe`, `hosts`.
    public var category: String
    /// What changed, in words, most severe first; never a password hash.
    public var changes: [IdentityFact]
    /// Size before and after in bytes; nil when the file did not exist (created, or removed).
    public var sizeBefore: Int?
    public var sizeAfter: Int?
    /// SHA-256 of the new content (hex), the precondition of a Revert; nil when the file was removed.
    public var sha256After: String?
    /// SHA-256 of the content before (hex), the copy a Revert restores; nil when the file did not exist.
    public var sha256Before: String?
    /// The process that wrote it; nil when fanotify is unavailable or the change was found by a verification scan.
    public var writer: WriterEvidence?
    /// How the change was seen: `realtime` (the writer's event), `rescan` (after a queue overflow or without fanotify)
    /// or `verification` (a scan found it, e.g. made while the agent was down).
    public var seenBy: String
    /// For a package-run digest: the other files the same run changed (this evidence then describes the run).
    public var digestPaths: [String]?

    public init(
        path: String, category: String, changes: [IdentityFact], sizeBefore: Int?, sizeAfter: Int?, sha256After: String?, writer: WriterEvidence?,
        seenBy: String, digestPaths: [String]? = nil, sha256Before: String? = nil
    ) {
        self.sha256Before = sha256Before
        self.path = path
        self.category = category
        self.changes = changes
        self.sizeBefore = sizeBefore
        self.sizeAfter = sizeAfter
        self.sha256After = sha256After
        self.writer = writer
        self.seenBy = seenBy
        self.digestPaths = digestPaths
    }
}

/// One change in a watched file, said in words (`user mallory added (uid 1001, shell /bin/bash)`).
public struct IdentityFact: Codable, Sendable, Equatable {
    /// A stable name for the change: `user_added`, `uid_zero`, `group_member_added`, `key_added`, `nopasswd_added`…
    public var change: String
    /// The words shown to the operator, made by the agent.
    public var detail: String
    /// The account, group or key fingerprint it is about, when there is one (for the responses that act on it).
    public var target: String?
    /// True when this change alone makes the alert critical.
    public var critical: Bool

    public init(change: String, detail: String, target: String? = nil, critical: Bool = false) {
        self.change = change
        self.detail = detail
        self.target = target
        self.critical = critical
    }
}

/// The process that wrote a watched file, read from `/proc` when its event arrived.
public struct WriterEvidence: Codable, Sendable, Equatable {
    public var pid: Int32
    /// `/proc/<pid>/stat` field 22, so a kill cannot hit a reused pid.
    public var pidStartTime: UInt64?
    /// The executable as the kernel names it; nil when the process was gone before it could be read.
    public var exe: String?
    /// Escaped and truncated by the agent.
    public var commandLine: String?
    /// The login uid (`/proc/<pid>/loginuid`): who logged in, whatever `sudo` or `su` made of the process since.
    public var loginUID: UInt32?
    /// The login uid's user name.
    public var loginUser: String?
    /// The ancestors, nearest first, as `name(pid)`, up to init or a cap (`sudo(812) bash(790) sshd-session(788)`).
    public var parents: [String]
    /// The SSH session it ran in: the nearest `sshd`/`sshd-session` ancestor, the pid an `ssh_session` alert names.
    public var sshSessionPID: Int32?
    /// The client address of that session, from `SSH_CONNECTION` in the environment of the writer or its nearest
    /// ancestor that has it (before `sudo` reset it).
    public var sshFrom: String?
    /// The start time (`/proc/<pid>/stat` field 22) of `sshSessionPID`, so Kill the session cannot hit a reused pid.
    public var sshSessionStartTime: UInt64?

    /// The wire's snake_case keys come back through `convertFromSnakeCase` as `loginUid` and `sshSessionPid`: the
    /// acronyms are spelt that way here so that `login_uid` and `ssh_session_pid` decode at all.
    private enum CodingKeys: String, CodingKey {
        case pid, pidStartTime, exe, commandLine, parents, sshFrom, sshSessionStartTime
        case loginUID = "loginUid"
        case loginUser
        case sshSessionPID = "sshSessionPid"
    }

    public init(
        pid: Int32, pidStartTime: UInt64?, exe: String?, commandLine: String?, loginUID: UInt32?, loginUser: String?, parents: [String],
        sshSessionPID: Int32? = nil, sshFrom: String? = nil, sshSessionStartTime: UInt64? = nil
    ) {
        self.sshSessionPID = sshSessionPID
        self.sshSessionStartTime = sshSessionStartTime
        self.sshFrom = sshFrom
        self.pid = pid
        self.pidStartTime = pidStartTime
        self.exe = exe
        self.commandLine = commandLine
        self.loginUID = loginUID
        self.loginUser = loginUser
        self.parents = parents
    }
}
