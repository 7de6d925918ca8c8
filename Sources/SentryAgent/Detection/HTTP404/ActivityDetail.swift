#if canImport(Glibc)
    import Glibc
#endif

/// The sizes and positions inside an `ActivityDetail`.
struct ActivityHeader {
    /// The oldest live entry of the seconds region.
    var head: UInt32 = 0
    /// One past the newest entry of the seconds region.
    var end: UInt32 = 0
    /// Entries the seconds region can hold.
    var secondsCapacity: UInt32
    /// Path hashes stored (sorted), after the seconds region.
    var hashCount: UInt32 = 0
    /// Path hashes the hash region can hold (even: two per element).
    var hashCapacity: UInt32
    /// 404s counted in the window.
    var windowCount: UInt32 = 0
}

/// One address's 404 history from its second 404 on, in a single allocation: the per-second counts of the window
/// (`second << 32 | count`, oldest first) followed by the sorted hashes of the distinct paths it asked for.
///
/// One allocation instead of a class holding two arrays (three allocations) is what keeps a million repeat scanners
/// under the memory budget. Growth returns a new buffer; callers store the returned value.
final class ActivityDetail: ManagedBuffer<ActivityHeader, UInt64> {
    /// A detail holding the first 404 (if still inside the window at `time`) and its path hash.
    static func make(first: UInt32, firstPathHash: UInt32, window: Int64, time: Int64) -> ActivityDetail {
        let detail = allocate(secondsCapacity: 4, hashCapacity: 4)
        detail.withUnsafeMutablePointers { header, elements in
            if Int64(first) > time - window {
                elements[0] = UInt64(first) << 32 | 1
                header.pointee.end = 1
                header.pointee.windowCount = 1
            }
            hashes(header, elements).storeBytes(of: firstPathHash, as: UInt32.self)
            header.pointee.hashCount = 1
        }
        return detail
    }

    private static func allocate(secondsCapacity: UInt32, hashCapacity: UInt32) -> ActivityDetail {
        let elements = Int(secondsCapacity) + Int(hashCapacity + 1) / 2
        let buffer = create(minimumCapacity: elements) { _ in ActivityHeader(secondsCapacity: secondsCapacity, hashCapacity: hashCapacity) }
        // `create` on a ManagedBuffer subclass allocates an instance of that subclass.
        return unsafeDowncast(buffer, to: ActivityDetail.self)
    }

    private static func hashes(_ header: UnsafeMutablePointer<ActivityHeader>, _ elements: UnsafeMutablePointer<UInt64>) -> UnsafeMutableRawPointer {
        UnsafeMutableRawPointer(elements + Int(header.pointee.secondsCapacity))
    }

    /// 404s in the window.
    var windowCount: Int { Int(header.windowCount) }

    /// Distinct paths counted (up to the limit given to `inserting`).
    var distinctPaths: Int { Int(header.hashCount) }

    /// The time of the oldest 404 still in the window.
    var oldestInWindow: Int64? {
        withUnsafeMutablePointers { header, elements in
            header.pointee.head < header.pointee.end ? Int64(elements[Int(header.pointee.head)] >> 32) : nil
        }
    }

    /// Counts a 404 at `time` and drops the seconds that left the window. Returns the detail to keep (a larger copy
    /// when the seconds region was full).
    func adding(time: Int64, window: Int64) -> ActivityDetail {
        let second = UInt64(UInt32(clamping: time))
        let target = hasRoomForNewSecond(second) ? self : grown(secondsCapacity: header.secondsCapacity * 2, hashCapacity: header.hashCapacity)
        target.withUnsafeMutablePointers { header, elements in
            let end = Int(header.pointee.end)
            if end > Int(header.pointee.head), second <= elements[end - 1] >> 32 {
                // Same second, or a line slightly out of order: count it in the latest second.
                elements[end - 1] += 1
            } else {
                if end == Int(header.pointee.secondsCapacity) { Self.compact(header, elements) }
                elements[Int(header.pointee.end)] = second << 32 | 1
                header.pointee.end += 1
            }
            header.pointee.windowCount += 1
            let newest = Int64(elements[Int(header.pointee.end) - 1] >> 32)
            while header.pointee.head < header.pointee.end, Int64(elements[Int(header.pointee.head)] >> 32) <= newest - window {
                header.pointee.windowCount -= UInt32(truncatingIfNeeded: elements[Int(header.pointee.head)] & 0xFFFF_FFFF)
                header.pointee.head += 1
            }
        }
        return target
    }

    /// True when a new second fits without growing (after compacting the entries that left the window).
    private func hasRoomForNewSecond(_ second: UInt64) -> Bool {
        withUnsafeMutablePointers { header, elements in
            let end = Int(header.pointee.end)
            if end > Int(header.pointee.head), second <= elements[end - 1] >> 32 { return true }
            return header.pointee.end - header.pointee.head < header.pointee.secondsCapacity
        }
    }

    /// Moves the live seconds to the front of their region.
    private static func compact(_ header: UnsafeMutablePointer<ActivityHeader>, _ elements: UnsafeMutablePointer<UInt64>) {
        let head = Int(header.pointee.head)
        let live = Int(header.pointee.end) - head
        guard head > 0 else { return }
        memmove(elements, elements + head, live * MemoryLayout<UInt64>.stride)
        header.pointee.head = 0
        header.pointee.end = UInt32(live)
    }

    /// Adds a path hash if it is new and there is room under `limit`. Returns the detail to keep and whether it was new.
    func inserting(pathHash: UInt32, limit: Int) -> (ActivityDetail, Bool) {
        let (index, found) = withUnsafeMutablePointers { header, elements in
            let hashes = Self.hashes(header, elements)
            var low = 0
            var high = Int(header.pointee.hashCount)
            while low < high {
                let middle = (low + high) / 2
                if hashes.load(fromByteOffset: middle * 4, as: UInt32.self) < pathHash { low = middle + 1 } else { high = middle }
            }
            let found = low < Int(header.pointee.hashCount) && hashes.load(fromByteOffset: low * 4, as: UInt32.self) == pathHash
            return (low, found)
        }
        guard !found, distinctPaths < limit else { return (self, false) }
        let target =
            header.hashCount < header.hashCapacity ? self : grown(secondsCapacity: header.secondsCapacity, hashCapacity: header.hashCapacity * 2)
        target.withUnsafeMutablePointers { header, elements in
            let hashes = Self.hashes(header, elements)
            let count = Int(header.pointee.hashCount)
            if index < count {
                memmove(hashes + (index + 1) * 4, hashes + index * 4, (count - index) * 4)
            }
            hashes.storeBytes(of: pathHash, toByteOffset: index * 4, as: UInt32.self)
            header.pointee.hashCount += 1
        }
        return (target, true)
    }

    /// A copy with larger regions (live seconds moved to the front).
    private func grown(secondsCapacity: UInt32, hashCapacity: UInt32) -> ActivityDetail {
        let copy = Self.allocate(secondsCapacity: secondsCapacity, hashCapacity: hashCapacity)
        withUnsafeMutablePointers { header, elements in
            copy.withUnsafeMutablePointers { newHeader, newElements in
                let head = Int(header.pointee.head)
                let live = Int(header.pointee.end) - head
                newElements.initialize(from: elements + head, count: live)
                newHeader.pointee.end = UInt32(live)
                newHeader.pointee.windowCount = header.pointee.windowCount
                newHeader.pointee.hashCount = header.pointee.hashCount
                Self.hashes(newHeader, newElements).copyMemory(from: Self.hashes(header, elements), byteCount: Int(header.pointee.hashCount) * 4)
            }
        }
        return copy
    }
}
