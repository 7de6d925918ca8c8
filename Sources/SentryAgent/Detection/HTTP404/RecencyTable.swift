/// A bounded table of per-address state that, when full, makes room by evicting the least recently active address
/// in O(1): entries live in array slots threaded on an intrusive doubly-linked list, most recently touched first.
///
/// Refusing new addresses when full (what a plain dictionary with a cap does) lets anyone blind a detector: fill the
/// table with one-shot addresses and every later scanner is ignored. With eviction by recency, a scanner that keeps
/// sending is always near the front; pushing it out takes more distinct addresses between two of its requests than
/// the table holds. Memory stays bounded by `capacity`.
struct RecencyTable<Value> {
    /// A slot number, stable while its entry lives.
    typealias Slot = Int32

    let capacity: Int
    private var slots: [IPKey: Slot] = [:]
    private var keys: [IPKey] = []
    private var values: [Value?] = []
    /// Neighbours towards the most recent (`newer`) and least recent (`older`) end; -1 at the ends.
    private var newer: [Slot] = []
    private var older: [Slot] = []
    private var newest: Slot = -1
    private var oldest: Slot = -1
    private var freeSlots: [Slot] = []

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { slots.count }

    /// The slot holding `key`, if tracked.
    func slot(of key: IPKey) -> Slot? { slots[key] }

    /// The key in a live slot.
    func key(at slot: Slot) -> IPKey { keys[Int(slot)] }

    /// Reads or updates a live slot's value in place.
    subscript(slot: Slot) -> Value {
        get {
            guard let value = values[Int(slot)] else { preconditionFailure("RecencyTable: slot \(slot) is free") }
            return value
        }
        set { values[Int(slot)] = newValue }
    }

    /// Makes a live slot the most recently active.
    mutating func touch(_ slot: Slot) {
        guard slot != newest else { return }
        unlink(slot)
        linkAsNewest(slot)
    }

    /// Adds `key` (which must not be tracked) as the most recently active; when the table is full, the least recently
    /// active entry is evicted first and returned.
    mutating func insert(_ key: IPKey, _ value: Value) -> (slot: Slot, evicted: (key: IPKey, value: Value)?) {
        var evicted: (key: IPKey, value: Value)?
        if slots.count >= capacity, oldest >= 0 {
            let victim = oldest
            evicted = (keys[Int(victim)], self[victim])
            remove(victim)
        }
        let slot: Slot
        if let free = freeSlots.popLast() {
            slot = free
            keys[Int(slot)] = key
            values[Int(slot)] = value
        } else {
            slot = Slot(keys.count)
            keys.append(key)
            values.append(value)
            newer.append(-1)
            older.append(-1)
        }
        slots[key] = slot
        linkAsNewest(slot)
        return (slot, evicted)
    }

    /// Frees a live slot.
    mutating func remove(_ slot: Slot) {
        unlink(slot)
        slots.removeValue(forKey: keys[Int(slot)])
        values[Int(slot)] = nil
        freeSlots.append(slot)
    }

    /// Removes every entry for which `isExpired` is true and returns their keys. O(entries), for periodic sweeps.
    mutating func removeAll(where isExpired: (IPKey, Value) -> Bool) -> [IPKey] {
        var removed: [IPKey] = []
        var slot = oldest
        while slot >= 0 {
            let next = newer[Int(slot)]
            if isExpired(keys[Int(slot)], self[slot]) {
                removed.append(keys[Int(slot)])
                remove(slot)
            }
            slot = next
        }
        shrinkIfSparse()
        return removed
    }

    /// After a burst, gives memory back: a table whose arrays are far larger than its contents is rebuilt, keeping
    /// the recency order.
    private mutating func shrinkIfSparse() {
        guard keys.count > 4096, slots.count < keys.count / 8 else { return }
        var smaller = RecencyTable(capacity: capacity)
        smaller.slots.reserveCapacity(slots.count)
        var slot = oldest
        while slot >= 0 {
            _ = smaller.insert(keys[Int(slot)], self[slot])
            slot = newer[Int(slot)]
        }
        self = smaller
    }

    private mutating func unlink(_ slot: Slot) {
        let index = Int(slot)
        let towardsNewest = newer[index]
        let towardsOldest = older[index]
        if towardsNewest >= 0 { older[Int(towardsNewest)] = towardsOldest } else { newest = towardsOldest }
        if towardsOldest >= 0 { newer[Int(towardsOldest)] = towardsNewest } else { oldest = towardsNewest }
        newer[index] = -1
        older[index] = -1
    }

    private mutating func linkAsNewest(_ slot: Slot) {
        let index = Int(slot)
        older[index] = newest
        newer[index] = -1
        if newest >= 0 { newer[Int(newest)] = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }
}
