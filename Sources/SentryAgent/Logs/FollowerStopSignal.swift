#if canImport(Glibc)
    import Glibc
#endif

/// Wakes a follower thread blocked in `poll()` and tells it to finish: a pipe written once and never drained.
///
/// `Sendable` because its only state is two descriptors fixed at init, and `write` to a pipe is thread-safe (and
/// async-signal-safe, so a signal handler may call `stop` through `writeDescriptor`).
final class FollowerStopSignal: Sendable {
    /// Readable once `stop()` was called.
    let descriptor: Int32
    /// The end `stop()` writes to.
    let writeDescriptor: Int32

    init() {
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) == 0 {
            for end in ends {
                _ = fcntl(end, F_SETFD, FD_CLOEXEC)
                _ = fcntl(end, F_SETFL, O_NONBLOCK)
            }
        }
        descriptor = ends[0]
        writeDescriptor = ends[1]
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        if writeDescriptor >= 0 { close(writeDescriptor) }
    }

    /// Asks the follower to finish its current batch and return.
    func stop() {
        guard writeDescriptor >= 0 else { return }
        var byte: UInt8 = 1
        _ = write(writeDescriptor, &byte, 1)
    }

    /// True once `stop()` was called (does not consume the signal).
    var isStopped: Bool {
        guard descriptor >= 0 else { return false }
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) > 0
    }
}
