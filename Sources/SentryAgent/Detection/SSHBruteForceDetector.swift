import Shared

/// Counts failed and hostile SSH authentication steps per client address in a leaky bucket (default capacity 5,
/// leaking one per 10 s, as CrowdSec's `ssh-bf`) and reports `ssh_bruteforce` when a bucket overflows.
///
/// Every counted line is one attempt, except that PAM's `authentication failure` and sshd's `Failed password` that
/// follows it describe the same guess and count once. After an alert the address is quiet for `cooldown` (CrowdSec's
/// blackhole), so a long attack is one alert per cooldown, not one per six guesses.
struct SSHBruteForceDetector {
    struct Configuration: Sendable {
        var capacity = 5
        var leakIntervalSeconds: Int64 = 10
        var cooldownSeconds: Int64 = 300
        var maxUsersListed = 10
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
        /// A PAM failure was counted and sshd's `Failed password` for the same guess has not been seen yet.
        var pamPending: Bool
        var quietUntil: Int64
    }

    /// Feeds one failure; returns a detection when it overflows the address's bucket.
    mutating func failure(_ kind: SSHFailure, user: String?, ip: IPKey, time: Int64, origin: LineOrigin?) -> Detection? {
        now = max(now, time)
        sweepIfDue()
        var state =
            buckets[ip]
            ?? Attempts(
                bucket: LeakyBucket(capacity: configuration.capacity, leakInterval: configuration.leakIntervalSeconds, now: time),
                attempts: 0, firstSeen: time, lastSeen: time, users: [], pamPending: false, quietUntil: .min)
        if let user, !user.isEmpty, !state.users.contains(user), state.users.count < configuration.maxUsersListed {
            state.users.append(user)
        }
        if kind == .failedPassword, state.pamPending {
            // The second line of one guess: already counted with PAM's line.
            state.pamPending = false
            buckets[ip] = state
            return nil
        }
        state.pamPending = kind == .authenticationFailure
        state.attempts += 1
        state.lastSeen = max(state.lastSeen, time)
        let overflowed = state.bucket.pour(at: time)
        guard overflowed, time >= state.quietUntil else {
            buckets[ip] = state
            return nil
        }
        let evidence = SSHBruteForceEvidence(
            ip: ip.description, attempts: state.attempts, users: state.users, windowSeconds: Int(state.lastSeen - state.firstSeen))
        let detection = Detection(
            kind: .sshBruteForce, severity: .warning, subject: .sshBruteForce(evidence), observedAt: time, firstSeen: state.firstSeen,
            lastSeen: state.lastSeen, origin: origin)
        // Start a fresh episode after the quiet period; attempts during it still fill the bucket.
        state.quietUntil = time + configuration.cooldownSeconds
        state.attempts = 0
        state.firstSeen = time
        state.users = []
        buckets[ip] = state
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
