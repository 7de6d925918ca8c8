/// Tracks open connections so the server can hold its connection cap without letting idle sockets lock it out.
///
/// At the cap, the connection that has been idle longest (kept alive, no request in progress) is closed to make
/// room: an attacker holding idle sockets open cannot starve a real request. If every connection is busy, the
/// newcomer is refused with 503.
actor ConnectionRegistry {
    enum Phase { case idle, busy }

    private struct Entry {
        var phase: Phase
        var since: ContinuousClock.Instant
        var task: Task<Void, Never>?
    }

    private let capacity: Int
    private var entries: [Int: Entry] = [:]
    private var nextID = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { entries.count }

    /// Reserves a slot, evicting the longest-idle connection if needed; nil if the server is full of busy ones.
    func admit() -> Int? {
        if entries.count >= capacity {
            guard let oldest = entries.filter({ $0.value.phase == .idle }).min(by: { $0.value.since < $1.value.since }) else {
                return nil
            }
            oldest.value.task?.cancel()
            entries[oldest.key] = nil
        }
        nextID += 1
        entries[nextID] = Entry(phase: .idle, since: .now, task: nil)
        return nextID
    }

    func attach(_ task: Task<Void, Never>, to id: Int) {
        // The connection may already have finished (or been evicted) before its task handle arrived.
        entries[id]?.task = task
    }

    func mark(_ id: Int, _ phase: Phase) {
        entries[id]?.phase = phase
        entries[id]?.since = .now
    }

    func remove(_ id: Int) {
        entries[id] = nil
    }

    func cancelAll() {
        for entry in entries.values { entry.task?.cancel() }
    }
}
