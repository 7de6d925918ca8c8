/// A leaky bucket in the manner of CrowdSec's `ssh-bf` scenario: each event pours one unit in, the bucket leaks one
/// unit per `leakInterval`, and the event that finds `capacity` units already inside overflows it.
///
/// A pure value driven by the caller's timestamps (seconds), so replays are deterministic.
struct LeakyBucket: Sendable, Equatable {
    let capacity: Int
    let leakInterval: Int64
    /// Units inside, in milli-units so partial leaks are not rounded away.
    private(set) var level: Int64 = 0
    private(set) var updatedAt: Int64

    init(capacity: Int, leakInterval: Int64, now: Int64) {
        self.capacity = capacity
        self.leakInterval = max(1, leakInterval)
        self.updatedAt = now
    }

    /// Leaks what has drained since the last update, then pours one unit. Returns true if the bucket overflowed.
    mutating func pour(at now: Int64) -> Bool {
        leak(to: now)
        let full = level > Int64(capacity - 1) * 1000
        level += 1000
        return full
    }

    /// True once everything has leaked out by `now`.
    func isEmpty(at now: Int64) -> Bool {
        level - max(0, now - updatedAt) * 1000 / leakInterval <= 0
    }

    /// Units inside at `now`.
    func units(at now: Int64) -> Double {
        Double(max(0, level - max(0, now - updatedAt) * 1000 / leakInterval)) / 1000
    }

    private mutating func leak(to now: Int64) {
        guard now > updatedAt else { return }
        level = max(0, level - (now - updatedAt) * 1000 / leakInterval)
        updatedAt = now
    }
}
