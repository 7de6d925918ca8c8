/// Lets one line through per interval and counts the ones held back, for events an attacker can repeat at will
/// (refused connections, failed accepts): the log must report them without becoming the attacker's disk-filler.
struct LogThrottle: Sendable {
    let interval: Duration
    private var lastLogged: ContinuousClock.Instant?
    private var suppressed = 0

    init(interval: Duration = .seconds(10)) {
        self.interval = interval
    }

    /// Nil when this occurrence should stay quiet; otherwise the number of occurrences held back since the last line.
    mutating func admit(now: ContinuousClock.Instant = .now) -> Int? {
        if let lastLogged, now - lastLogged < interval {
            suppressed += 1
            return nil
        }
        lastLogged = now
        defer { suppressed = 0 }
        return suppressed
    }
}
