#if canImport(Glibc)
    import Glibc
#endif

/// Change events from inotify, where fanotify is unavailable: the same directories and names, without the writer.
final class InotifyEventSource: IdentityEventSource {
    private let descriptor: Int32
    /// Watch descriptor → the directory as the host names it.
    private var directories: [Int32: String] = [:]
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    init?() {
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { return nil }
    }

    deinit { close(descriptor) }

    var namesWriter: Bool { false }

    func watch(directory: String, hostPath: String) -> Bool {
        let mask =
            UInt32(IN_CLOSE_WRITE) | UInt32(IN_ATTRIB) | UInt32(IN_CREATE) | UInt32(IN_DELETE) | UInt32(IN_MOVED_FROM)
            | UInt32(IN_MOVED_TO)
        // The same inode gives the same watch descriptor: watching again is free.
        let watch = inotify_add_watch(descriptor, hostPath, mask)
        guard watch >= 0 else { return false }
        directories[watch] = directory
        return true
    }

    func wait(timeout: Duration, stop: FollowerStopSignal) -> IdentityWake {
        var entries = [pollfd(fd: stop.descriptor, events: Int16(POLLIN), revents: 0), pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
        let ready = poll(&entries, 2, timeout.pollMilliseconds)
        if entries[0].revents != 0 { return .stopped }
        guard ready > 0, entries[1].revents != 0 else { return .timeout }
        var changes: [EntryChange] = []
        var overflowed = false
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            buffer.withUnsafeBytes { raw in
                var offset = 0
                while offset + 16 <= count {
                    let watch = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                    let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                    let nameLength = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    let nameBytes = raw[(offset + 16)..<min(count, offset + 16 + nameLength)].prefix { $0 != 0 }
                    offset += 16 + nameLength
                    if mask & UInt32(IN_Q_OVERFLOW) != 0 { overflowed = true }
                    guard let directory = directories[watch], !nameBytes.isEmpty else { continue }
                    changes.append(
                        EntryChange(
                            directory: directory, name: String(decoding: nameBytes, as: UTF8.self), isDirectory: mask & UInt32(IN_ISDIR) != 0,
                            isFinal: mask
                                & (UInt32(IN_CLOSE_WRITE) | UInt32(IN_ATTRIB) | UInt32(IN_MOVED_TO) | UInt32(IN_MOVED_FROM) | UInt32(IN_DELETE)) != 0,
                            writer: nil))
                }
            }
        }
        if overflowed { return .overflow }
        return changes.isEmpty ? .timeout : .changes(changes)
    }
}
