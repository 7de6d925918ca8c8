/// Tracks open connections so the server can hold its connection caps without letting idle sockets lock it out.
///
/// Two caps: the whole pool (`capacity`) and each source address (`perSourceCapacity`; an IPv6 source is its /64,
/// since one host holds a whole /64). A newcomer whose source already holds its share is refused at once, so one host
/// cannot take the pool. At the pool cap, the connection that has been idle longest (kept alive, no request in
/// progress) is closed to make room: an attacker holding idle sockets open cannot starve a real request. Protected
/// connections (from a trusted peer address, or that have carried an authenticated request) are never closed to admit
/// an unprotected newcomer: a stranger can only push out strangers. If nothing may be evicted, the newcomer is refused.
actor ConnectionRegistry {
    enum Phase { case idle, busy }

    /// Why a newcomer was or was not let in.
    enum Admission: Equatable {
        case admitted(Int)
        /// Its source already holds `perSourceCapacity` connections.
        case sourceFull
        /// The pool is full and no connection may be evicted for it.
        case poolFull
    }

    private struct Entry {
        var source: IPAddress
        var phase: Phase
        var since: ContinuousClock.Instant
        var isProtected: Bool
        var task: Task<Void, Never>?
    }

    private let capacity: Int
    private let perSourceCapacity: Int
    private var entries: [Int: Entry] = [:]
    private var perSource: [IPAddress: Int] = [:]
    private var nextID = 0

    init(capacity: Int, perSourceCapacity: Int = .max) {
        self.capacity = max(1, capacity)
        self.perSourceCapacity = max(1, perSourceCapacity)
    }

    var count: Int { entries.count }

    /// The key a peer is counted under: the address itself, or its /64 for IPv6.
    static func source(of peer: IPAddress) -> IPAddress {
        switch peer {
        case .v4: peer
        case .v6(let high, _): .v6(high, 0)
        }
    }

    /// Reserves a slot for a connection from `peer`, evicting the longest-idle connection it may push out if the pool
    /// is full. `isProtected` newcomers (trusted peers) may push out protected idle connections too, as a last resort.
    func admit(peer: IPAddress, isProtected: Bool = false) -> Admission {
        let source = Self.source(of: peer)
        if perSource[source, default: 0] >= perSourceCapacity { return .sourceFull }
        if entries.count >= capacity {
            guard let victim = longestIdle(protected: false) ?? (isProtected ? longestIdle(protected: true) : nil) else {
                return .poolFull
            }
            entries[victim]?.task?.cancel()
            remove(victim)
        }
        nextID += 1
        entries[nextID] = Entry(source: source, phase: .idle, since: .now, isProtected: isProtected, task: nil)
        perSource[source, default: 0] += 1
        return .admitted(nextID)
    }

    private func longestIdle(protected: Bool) -> Int? {
        entries.filter { $0.value.phase == .idle && $0.value.isProtected == protected }.min { $0.value.since < $1.value.since }?.key
    }

    func attach(_ task: Task<Void, Never>, to id: Int) {
        // The connection may already have finished (or been evicted) before its task handle arrived.
        entries[id]?.task = task
    }

    func mark(_ id: Int, _ phase: Phase) {
        entries[id]?.phase = phase
        entries[id]?.since = .now
    }

    /// From now on the connection is never evicted to admit an unprotected newcomer.
    func protect(_ id: Int) {
        entries[id]?.isProtected = true
    }

    func remove(_ id: Int) {
        guard let entry = entries.removeValue(forKey: id) else { return }
        let remaining = perSource[entry.source, default: 1] - 1
        perSource[entry.source] = remaining > 0 ? remaining : nil
    }

    func cancelAll() {
        for entry in entries.values { entry.task?.cancel() }
    }
}
