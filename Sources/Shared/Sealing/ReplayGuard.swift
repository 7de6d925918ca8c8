import FoundationEssentials

/// Remembers accepted nonces for as long as their timestamp could still be accepted, within a hard capacity.
///
/// A nonce is kept until `acceptedAt + 2 × window + 1 s` (its timestamp may be up to `window` ahead of the receiver,
/// and is accepted until `window` after that). Expiry follows insertion order, so pruning is a FIFO pop: O(1) amortised.
/// When the cache is full of live nonces, new ones are refused (`replayCacheFull`): failing closed keeps the replay
/// guarantee, and the sender's outbox retries. Only authenticated requests reach the guard, so only a key holder can
/// fill it.
///
/// The cache is shared fairly, so one stolen key cannot stop every other agent: an agent is refused once it holds its
/// fair share (`capacity` divided by the agents holding live nonces) or the cache is full, except that an agent below
/// its floor (`perAgentFloor`, 1,024: about 8 requests a second sustained) is always admitted. A flooding agent can
/// therefore fill the cache only while it is alone; every other agent still gets its floor at once, and the flooder's
/// share shrinks as its nonces expire. Memory: about 64 bytes per entry, at most `capacity` plus `perAgentFloor` per
/// agent with live nonces (the default 100,000 entries stay under 8 MiB, plus 64 KiB per active agent).
public struct ReplayGuard: Sendable {
    /// Default number of nonces remembered.
    public static let defaultCapacity = 100_000
    /// Default number of nonces each agent may always hold, whatever the others do.
    public static let defaultPerAgentFloor = 1024

    public let capacity: Int
    public let perAgentFloor: Int
    public let window: Duration
    private var live: Set<NonceKey> = []
    private var perAgent: [String: Int] = [:]
    private var order: [(key: NonceKey, expiresAt: Date)] = []
    private var orderHead = 0

    public init(capacity: Int = ReplayGuard.defaultCapacity, perAgentFloor: Int = ReplayGuard.defaultPerAgentFloor, window: Duration = .seconds(60)) {
        self.capacity = max(1, capacity)
        self.perAgentFloor = min(max(1, perAgentFloor), self.capacity)
        self.window = window
        live.reserveCapacity(min(self.capacity, 4096))
    }

    /// Nonces `agentID` holds right now.
    public func count(of agentID: String) -> Int { perAgent[agentID, default: 0] }

    /// Number of nonces remembered right now.
    public var count: Int { live.count }

    /// Records `nonce` as used at `now`; throws `.replayed` if it was already used, `.replayCacheFull` when the agent
    /// is past its floor and the cache is full or the agent holds its fair share.
    public mutating func admit(nonce: [UInt8], agentID: String, now: Date) throws(SealError) {
        prune(now: now)
        let key = NonceKey(agentID: agentID, nonce: nonce)
        guard !live.contains(key) else { throw SealError(.replayed) }
        guard hasRoom(for: agentID) else { throw SealError(.replayCacheFull) }
        live.insert(key)
        perAgent[agentID, default: 0] += 1
        let keep = window * 2 + .seconds(1)
        order.append((key, now.addingTimeInterval(TimeInterval(keep.components.seconds))))
    }

    private func hasRoom(for agentID: String) -> Bool {
        let held = perAgent[agentID, default: 0]
        if held < perAgentFloor { return true }
        return live.count < capacity && held < capacity / max(1, perAgent.count)
    }

    private mutating func prune(now: Date) {
        while orderHead < order.count, order[orderHead].expiresAt <= now {
            let key = order[orderHead].key
            live.remove(key)
            let remaining = perAgent[key.agentID, default: 1] - 1
            perAgent[key.agentID] = remaining > 0 ? remaining : nil
            orderHead += 1
        }
        // Compact once the dead prefix dominates, keeping the amortised cost constant.
        if orderHead > 1024, orderHead * 2 > order.count {
            order.removeFirst(orderHead)
            orderHead = 0
        }
    }
}

/// A nonce scoped to its agent, so one agent cannot burn another's nonces.
private struct NonceKey: Hashable, Sendable {
    let agentID: String
    let high: UInt64
    let low: UInt32

    init(agentID: String, nonce: [UInt8]) {
        self.agentID = agentID
        var high: UInt64 = 0
        var low: UInt32 = 0
        for (index, byte) in nonce.prefix(12).enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt32(byte) }
        }
        self.high = high
        self.low = low
    }
}
