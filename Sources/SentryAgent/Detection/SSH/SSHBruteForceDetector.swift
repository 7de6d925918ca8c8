import Shared

/// Counts failed and hostile SSH authentication steps per client address in a leaky bucket (default capacity 5,
/// leaking one per 10 s, as CrowdSec's `ssh-bf`) and reports `ssh_bruteforce` when a bucket overflows.
///
/// Every counted line is one attempt, except that PAM's `authentication failure` and sshd's `Failed password` that
/// follows it describe the same guess and count once. After an alert the address is quiet for `cooldown` (CrowdSec's
/// blackhole), so a long attack is one alert per cooldown, not one per six guesses.
///
/// IPv6 clients are counted per network of `ipv6Prefix` bits (default /64): rotating through the addresses of one
/// /64 is still one bucket, and the alert names the network (`2001:db8:1:2::/64`) and the addresses seen.
struct SSHBruteForceDetector {
    struct Configuration: Sendable {
        var capacity = 5
        var leakIntervalSeconds: Int64 = 10
        var cooldownSeconds: Int64 = 300
        var maxUsersListed = 10
        /// IPv6 addresses are counted per network of this many bits; 128 counts each alone.
        var ipv6Prefix = 64
        /// The most addresses of one IPv6 network an alert lists.
        var maxAddressesListed = 10
    }

    let configuration: Configuration
    private var buckets: [IPKey: Attempts] = [:]
    private var nextSweep: Int64 = .min
    /// The latest event time seen.
    private(set) var now: Int64 = .min

    /// The addresses currently tracked (for tests and memory figures).
    var trackedAddresses: Int { buckets.count }

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    private struct Attempts {
        var bucket: LeakyBucket
        var attempts: Int
        var firstSeen: Int64
        var lastSeen: Int64
        var users: [String]
        /// Distinct addresses seen when the key is an IPv6 network (empty otherwise).
        var addresses: [IPKey]
        /// A PAM failure was counted and sshd's `Failed password` for the same guess has not been seen yet.
        var pamPending: Bool
        var quietUntil: Int64
    }

    /// Feeds one failure; returns a detection when it overflows the address's bucket.
    mutating func failure(_ kind: SSHFailure, user: String?, ip address: IPKey, time: Int64, origin: LineOrigin?) -> Detection? {
        now = max(now, time)
        sweepIfDue()
        let fresh = Attempts(
            bucket: LeakyBucket(capacity: configuration.capacity, leakInterval: configuration.leakIntervalSeconds, now: time),
            attempts: 0, firstSeen: time, lastSeen: time, users: [], addresses: [], pamPending: false, quietUntil: .min)
        let ip = address.counted(ipv6Prefix: configuration.ipv6Prefix)
        // Updated in place in the table (no copy of the entry, its user list or the table per line).
        return Self.update(
            &buckets[ip, default: fresh], kind: kind, user: user, address: address, ip: ip, time: time, origin: origin, configuration: configuration)
    }

    private static func update(
        _ state: inout Attempts, kind: SSHFailure, user: String?, address: IPKey, ip: IPKey, time: Int64, origin: LineOrigin?,
        configuration: Configuration
    ) -> Detection? {
        if let user, !user.isEmpty, state.users.count < configuration.maxUsersListed, !state.users.contains(user) {
            state.users.append(user)
        }
        let isNetwork = ip.isNetwork(ipv6Prefix: configuration.ipv6Prefix)
        if isNetwork, state.addresses.count < configuration.maxAddressesListed, !state.addresses.contains(address) {
            state.addresses.append(address)
        }
        if kind == .failedPassword, state.pamPending {
            // The second line of one guess: already counted with PAM's line.
            state.pamPending = false
            return nil
        }
        state.pamPending = kind == .authenticationFailure
        state.attempts += 1
        state.lastSeen = max(state.lastSeen, time)
        guard state.bucket.pour(at: time), time >= state.quietUntil else { return nil }
        let evidence = SSHBruteForceEvidence(
            ip: ip.subject(ipv6Prefix: configuration.ipv6Prefix), attempts: state.attempts, users: state.users,
            windowSeconds: Int(state.lastSeen - state.firstSeen), addresses: isNetwork ? state.addresses.map(\.description) : nil)
        let detection = Detection(
            kind: .sshBruteForce, severity: .warning, subject: .sshBruteForce(evidence), observedAt: time, firstSeen: state.firstSeen,
            lastSeen: state.lastSeen, origin: origin)
        // Start a fresh episode after the quiet period; attempts during it still fill the bucket.
        state.quietUntil = time + configuration.cooldownSeconds
        state.attempts = 0
        state.firstSeen = time
        state.users = []
        state.addresses = []
        return detection
    }

    /// Forgets addresses whose bucket has drained and whose quiet period is over.
    mutating func sweep(at time: Int64) {
        buckets = buckets.filter { _, state in !state.bucket.isEmpty(at: time) || time < state.quietUntil }
    }

    private mutating func sweepIfDue() {
        guard now >= nextSweep else { return }
        if nextSweep != .min { sweep(at: now) }
        nextSweep = now + max(60, configuration.leakIntervalSeconds * Int64(configuration.capacity))
    }
}
