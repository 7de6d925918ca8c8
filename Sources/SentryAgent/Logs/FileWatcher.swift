#if canImport(Glibc)
    import Glibc
#endif

/// Sleeps until something may have changed in the watched directories, the poll interval passes, or a stop arrives.
///
/// inotify watches directories, not files: a directory watch reports writes to its files as well as creations,
/// renames and deletions, so one watch survives every kind of rotation. When inotify is unavailable (limits, some
/// network filesystems) the follower simply wakes every poll interval; a missed event can delay a line, never lose it.
struct FileWatcher: ~Copyable {
    private let inotifyDescriptor: Int32
    private var watched: Set<String> = []
    private var buffer = [UInt8](repeating: 0, count: 16 * 1024)

    /// What ended a wait.
    enum Wake: Equatable {
        case changed
        case timeout
        case stopped
    }

    /// With `inotify: false` (or when the kernel refuses an instance) only the timeout wakes a wait.
    init(inotify: Bool = true) {
        inotifyDescriptor = inotify ? inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC)) : -1
    }

    deinit {
        if inotifyDescriptor >= 0 { close(inotifyDescriptor) }
    }

    /// True when inotify works here; otherwise only polling wakes the follower.
    var usesInotify: Bool { inotifyDescriptor >= 0 }

    /// Watches `directory` for changes to any of its entries. Returns false if it does not exist (yet) or cannot be
    /// watched; callers retry on later wakes, so a directory created after start is picked up.
    @discardableResult
    mutating func watch(directory: String) -> Bool {
        guard inotifyDescriptor >= 0 else { return false }
        if watched.contains(directory) { return true }
        let mask =
            UInt32(IN_MODIFY) | UInt32(IN_CREATE) | UInt32(IN_DELETE) | UInt32(IN_MOVED_FROM) | UInt32(IN_MOVED_TO)
            | UInt32(IN_ATTRIB) | UInt32(IN_CLOSE_WRITE) | UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF)
        guard inotify_add_watch(inotifyDescriptor, directory, mask) >= 0 else { return false }
        watched.insert(directory)
        return true
    }

    /// Forgets every watch so the next `watch(directory:)` re-adds it (after a watched directory was removed).
    mutating func forgetWatches() {
        watched.removeAll()
    }

    /// Blocks the calling thread (a follower's own thread, never a Swift concurrency thread) until an event, the
    /// timeout, or `stop`.
    mutating func wait(timeout: Duration, stop: FollowerStopSignal) -> Wake {
        var entries = [pollfd(fd: stop.descriptor, events: Int16(POLLIN), revents: 0)]
        if inotifyDescriptor >= 0 { entries.append(pollfd(fd: inotifyDescriptor, events: Int16(POLLIN), revents: 0)) }
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let ready = poll(&entries, nfds_t(entries.count), max(milliseconds, 0))
        if entries[0].revents != 0 { return .stopped }
        guard ready > 0, entries.count > 1, entries[1].revents != 0 else { return .timeout }
        var sawDeletedWatch = false
        // Drain every queued event: one wake handles them all, the follower re-checks each file anyway.
        while true {
            let count = buffer.withUnsafeMutableBytes { read(inotifyDescriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            buffer.withUnsafeBytes { raw in
                var offset = 0
                while offset + MemoryLayout<inotify_event>.size <= count {
                    let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                    let nameLength = raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)
                    if mask & (UInt32(IN_IGNORED) | UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF)) != 0 { sawDeletedWatch = true }
                    offset += MemoryLayout<inotify_event>.size + Int(nameLength)
                }
            }
        }
        if sawDeletedWatch { watched.removeAll() }
        return .changed
    }
}
