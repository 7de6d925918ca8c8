/// A watched directory's entry that changed, and the process that changed it when the kernel said.
struct EntryChange: Sendable, Equatable {
    /// The watched directory as the host names it.
    var directory: String
    var name: String
    /// The entry is itself a directory (a `.ssh` or `sudoers.d` created: the watched set grows).
    var isDirectory: Bool
    /// The event says the content is complete (closed after writing, renamed in, removed, chmod): false for a bare
    /// creation, whose content usually follows (a symlink, which has no close, is read at once anyway).
    var isFinal: Bool
    var writer: WriterReader.Writer?
}

/// What ended a wait for changes.
enum IdentityWake: Sendable, Equatable {
    case changes([EntryChange])
    /// The kernel's queue overflowed: events were lost, every watched directory must be rescanned.
    case overflow
    case timeout
    case stopped
}

/// Where change events come from: fanotify (with the writer) or inotify (without). Used from one thread.
protocol IdentityEventSource: AnyObject {
    /// True when changes come with their writer.
    var namesWriter: Bool { get }
    /// Watches the entries of `directory`, read at `hostPath` (the same path unless a root prefix is configured).
    /// Idempotent; false when the directory cannot be watched (missing).
    func watch(directory: String, hostPath: String) -> Bool
    /// Blocks the calling thread until changes, an overflow, the timeout or `stop`.
    func wait(timeout: Duration, stop: FollowerStopSignal) -> IdentityWake
}

extension Duration {
    /// Milliseconds for `poll()`, clamped to what it accepts.
    var pollMilliseconds: Int32 {
        Int32(clamping: max(0, components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000))
    }
}
