import CFanotify
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// Change events from fanotify with `FAN_REPORT_DFID_NAME` (Linux 5.9+, CAP_SYS_ADMIN): each comes with the pid of
/// the process that made it, the directory's file handle and the entry's name.
///
/// Inode marks on each watched directory (not a mount or filesystem mark: the set is small and precise). The handle
/// an event carries is matched against the handles taken with `name_to_handle_at` when each directory was marked, so
/// no `open_by_handle_at` (and no CAP_DAC_READ_SEARCH) is needed.
final class FanotifyEventSource: IdentityEventSource {
    private let descriptor: Int32
    private let writers: WriterReader
    /// Handle key (fsid, handle size, type, bytes) → the directory as the host names it.
    private var directories: [[UInt8]: String] = [:]
    /// The directory → its key when marked, so marking again is free and a recreated directory is marked anew.
    private var marked: [String: [UInt8]] = [:]
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    /// Writers described at an earlier event (a file's creation), by pid: a process that closes its file as it exits
    /// has already lost its executable and command line when the close arrives.
    private var recent: [Int32: (writer: WriterReader.Writer, at: ContinuousClock.Instant)] = [:]
    static let recentLimit: Duration = .seconds(10)

    // <linux/fanotify.h>: Swift imports the header's macros only partly, so the values are spelled out.
    static let classNotification: UInt32 = 0x0000_0000
    static let closeOnExec: UInt32 = 0x0000_0001
    static let nonBlocking: UInt32 = 0x0000_0002
    static let reportDirectoryFIDAndName: UInt32 = 0x0000_0C00
    static let markAdd: UInt32 = 0x0000_0001
    static let modify: UInt64 = 0x0000_0002
    static let attributes: UInt64 = 0x0000_0004
    static let closeWrite: UInt64 = 0x0000_0008
    static let movedFrom: UInt64 = 0x0000_0040
    static let movedTo: UInt64 = 0x0000_0080
    static let create: UInt64 = 0x0000_0100
    static let delete: UInt64 = 0x0000_0200
    static let queueOverflow: UInt64 = 0x0000_4000
    static let onChild: UInt64 = 0x0800_0000
    static let onDirectory: UInt64 = 0x4000_0000
    static let infoDirectoryFIDName: UInt8 = 2
    static let infoDirectoryFID: UInt8 = 3
    /// What a mark asks for: a file closed after writing, metadata (chmod, chown), and every way an entry appears or
    /// goes; and FAN_MODIFY only to describe the writer while it is alive (a process that closes its file by exiting
    /// is gone when the close arrives). Content is never read at a write(): `cp` truncates first and would read as
    /// "key removed" then "key added"; the close says it is complete, and a writer that never closes is caught by
    /// the verification scan.
    static let markMask = modify | attributes | closeWrite | movedFrom | movedTo | create | delete | onChild | onDirectory

    /// Nil when fanotify cannot be used here (not root, an old kernel, a seccomp filter); the caller falls back.
    init?(writers: WriterReader) {
        let flags = Self.classNotification | Self.closeOnExec | Self.nonBlocking | Self.reportDirectoryFIDAndName
        let descriptor = vigil_fanotify_init(flags, UInt32(O_RDONLY | O_CLOEXEC))
        guard descriptor >= 0 else { return nil }
        self.descriptor = descriptor
        self.writers = writers
    }

    deinit { close(descriptor) }

    var namesWriter: Bool { true }

    func watch(directory: String, hostPath: String) -> Bool {
        guard let key = Self.handleKey(hostPath) else { return false }
        if marked[directory] == key { return true }
        guard vigil_fanotify_mark(descriptor, Self.markAdd, Self.markMask, hostPath) == 0 else { return false }
        marked[directory] = key
        directories[key] = directory
        return true
    }

    /// The key an event's directory record carries for `path`: fsid, then the file handle as the kernel reports it.
    static func handleKey(_ path: String) -> [UInt8]? {
        var handle = [UInt8](repeating: 0, count: 136)
        var fsid: (Int32, Int32) = (0, 0)
        let count = handle.withUnsafeMutableBufferPointer { bytes in
            withUnsafeMutablePointer(to: &fsid) { pair in
                pair.withMemoryRebound(to: Int32.self, capacity: 2) { vigil_directory_handle(path, bytes.baseAddress, Int32(bytes.count), $0) }
            }
        }
        guard count > 0 else { return nil }
        let fsidBytes = withUnsafeBytes(of: fsid) { Array($0) }
        return fsidBytes + handle[0..<Int(count)]
    }

    func wait(timeout: Duration, stop: FollowerStopSignal) -> IdentityWake {
        var entries = [pollfd(fd: stop.descriptor, events: Int16(POLLIN), revents: 0), pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
        let ready = poll(&entries, 2, timeout.pollMilliseconds)
        if entries[0].revents != 0 { return .stopped }
        guard ready > 0, entries[1].revents != 0 else { return .timeout }
        var changes: [EntryChange] = []
        var overflowed = false
        // Writers are read while their events are drained, before they can exit; one read per pid per wake.
        var known: [Int32: WriterReader.Writer?] = [:]
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            buffer.withUnsafeBytes { raw in
                Self.parse(raw, count: count) { mask, pid, key, name in
                    if mask & Self.queueOverflow != 0 {
                        overflowed = true
                        return
                    }
                    guard let key, let name, !name.isEmpty, name != ".", let directory = directories[key] else { return }
                    let writer: WriterReader.Writer?
                    if let cached = known[pid] {
                        writer = cached
                    } else {
                        writer = describe(pid)
                        known[pid] = writer
                    }
                    let isFinal = mask & (Self.closeWrite | Self.attributes | Self.movedTo | Self.movedFrom | Self.delete) != 0
                    changes.append(
                        EntryChange(directory: directory, name: name, isDirectory: mask & Self.onDirectory != 0, isFinal: isFinal, writer: writer))
                }
            }
        }
        if overflowed { return .overflow }
        return changes.isEmpty ? .timeout : .changes(changes)
    }

    /// The writer `pid` now, or as it was described at an earlier event when it is now gone or exiting (no
    /// executable any more) and the start time, where still readable, is the same.
    private func describe(_ pid: Int32) -> WriterReader.Writer? {
        let now = ContinuousClock.now
        recent = recent.filter { now - $0.value.at < Self.recentLimit }
        let fresh = writers.writer(pid: pid)
        if let fresh, fresh.evidence.exe != nil {
            recent[pid] = (fresh, now)
            return fresh
        }
        if let earlier = recent[pid]?.writer, fresh == nil || fresh?.evidence.pidStartTime == earlier.evidence.pidStartTime { return earlier }
        return fresh
    }

    /// Walks the events in `raw[0..<count]` (struct fanotify_event_metadata, then info records): mask, pid, the
    /// directory handle key and the entry name of each.
    static func parse(_ raw: UnsafeRawBufferPointer, count: Int, _ event: (UInt64, Int32, [UInt8]?, String?) -> Void) {
        var offset = 0
        while offset + 24 <= count {
            let length = Int(raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            let metadataLength = Int(raw.loadUnaligned(fromByteOffset: offset + 6, as: UInt16.self))
            let mask = raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)
            let pid = raw.loadUnaligned(fromByteOffset: offset + 20, as: Int32.self)
            guard length >= 24, offset + length <= count else { return }
            var key: [UInt8]?
            var name: String?
            var info = offset + metadataLength
            while info + 4 <= offset + length {
                let type = raw[info]
                let recordLength = Int(raw.loadUnaligned(fromByteOffset: info + 2, as: UInt16.self))
                guard recordLength > 0, info + recordLength <= offset + length else { break }
                if type == infoDirectoryFIDName || type == infoDirectoryFID, recordLength >= 20 {
                    let handleBytes = Int(raw.loadUnaligned(fromByteOffset: info + 12, as: UInt32.self))
                    let end = info + 20 + handleBytes
                    if end <= info + recordLength {
                        key = Array(raw[(info + 4)..<end])
                        if type == infoDirectoryFIDName {
                            let nameBytes = raw[end..<(info + recordLength)].prefix { $0 != 0 }
                            name = String(decoding: nameBytes, as: UTF8.self)
                        }
                    }
                }
                info += recordLength
            }
            event(mask, pid, key, name)
            offset += length
        }
    }
}
