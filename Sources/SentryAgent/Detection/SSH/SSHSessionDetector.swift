import Shared

/// Turns `Accepted … for USER from IP port N` into an `ssh_session` detection.
///
/// Severity is `info`, or `warning` for `root` or for an address this user has never logged in from (the pairs are
/// remembered by the caller across restarts through `knownLogins`). The session process id comes from the line
/// (`sshd[pid]`, `sshd-session[pid]`, journald's `_PID`); its start time is filled in by the live pipeline.
struct SSHSessionDetector {
    /// (user, address) pairs seen before, oldest first, capped.
    private(set) var knownLogins: KnownLogins
    /// Pairs learned since the caller last took them (to append to the state file).
    private(set) var learned: [KnownLogins.Login] = []

    init(knownLogins: KnownLogins) {
        self.knownLogins = knownLogins
    }

    /// Feeds one accepted login; always yields a detection.
    mutating func accepted(
        method: String, user: String, ip: IPKey, port: Int, pid: Int32?, time: Int64, origin: LineOrigin?
    ) -> Detection {
        let login = KnownLogins.Login(user: user, ip: ip)
        let isNew = knownLogins.insert(login)
        if isNew { learned.append(login) }
        let severity: Severity = (user == "root" || isNew) ? .warning : .info
        let evidence = SSHSessionEvidence(user: user, ip: ip.description, port: port, method: method, pid: pid ?? 0, pidStartTime: nil)
        return Detection(
            kind: .sshSession, severity: severity, subject: .sshSession(evidence), observedAt: time, firstSeen: time, lastSeen: time,
            origin: origin)
    }

    /// Hands over the pairs learned since the last call.
    mutating func takeLearned() -> [KnownLogins.Login] {
        defer { learned.removeAll() }
        return learned
    }
}

/// The (user, address) pairs that have logged in before, in insertion order, capped: the oldest are forgotten first.
struct KnownLogins: Sendable {
    /// One user from one address.
    struct Login: Hashable, Sendable {
        var user: String
        var ip: IPKey
    }

    let capacity: Int
    private var members: Set<Login> = []
    private var order: [Login] = []
    private var head = 0

    init(capacity: Int, logins: [Login] = []) {
        self.capacity = max(1, capacity)
        for login in logins { insert(login) }
    }

    var count: Int { members.count }

    /// All pairs, oldest first.
    var all: [Login] { Array(order[head...]) }

    func contains(_ login: Login) -> Bool { members.contains(login) }

    /// Adds `login`; returns true if it was new.
    @discardableResult
    mutating func insert(_ login: Login) -> Bool {
        guard members.insert(login).inserted else { return false }
        order.append(login)
        if members.count > capacity {
            members.remove(order[head])
            head += 1
            if head > capacity {
                order.removeFirst(head)
                head = 0
            }
        }
        return true
    }
}
