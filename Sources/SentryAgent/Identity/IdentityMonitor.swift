import Logging
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// The identity detector's shell: keeps each watched file's last known state (stamp, hash, kept content), reads a
/// file again when an event or a scan says it may have changed, hands the difference to `IdentityDetector`, and keeps
/// the store in step. Used from one thread; time comes from the caller.
struct IdentityMonitor {
    private(set) var watched: WatchedSet
    private(set) var detector: IdentityDetector
    let store: IdentityStore
    let logger: Logger
    /// True while dpkg's lock is held (a package run whose writers may be gone before they are read).
    let packageLockHeld: @Sendable () -> Bool
    private(set) var records: [String: IdentityStore.Record] = [:]
    private var copies: [String: [UInt8]] = [:]
    /// Set when the watched directories may have changed (a directory created, accounts changed): the caller watches
    /// the new ones and clears it.
    var watchedDirectoriesChanged = true
    /// Set when a directory appeared: once it is watched, the caller rescans (files may predate the watch).
    var rescanRequested = false
    /// Runs `sshd -T` when sshd_config or a drop-in changed (nil: no sshd; the files' own lines are compared).
    let sshdReader: SSHDEffectiveReader?
    /// sshd's effective configuration as last read (kept in the store across restarts).
    private var sshdEffective: SSHDEffectiveConfiguration?

    init(
        watched: WatchedSet, detector: IdentityDetector, store: IdentityStore, logger: Logger,
        packageLockHeld: @escaping @Sendable () -> Bool = { DpkgLock.isHeld() }, sshdReader: SSHDEffectiveReader? = nil
    ) {
        self.sshdReader = sshdReader
        self.watched = watched
        self.detector = detector
        self.store = store
        self.logger = logger
        self.packageLockHeld = packageLockHeld
        self.watched.expand()
    }

    /// Loads the stored state and compares the files with it (what changed while the agent was down), or, on the very
    /// first start, takes the files as they are as the baseline without an alert.
    mutating func start(time: Int64) -> [Detection] {
        var stored: [String: IdentityStore.Record]?
        do {
            stored = try store.load()
        } catch {
            logger.warning("cannot read the identity baseline; forming a new one", metadata: ["path": "\(store.baselinePath)", "error": "\(error)"])
        }
        guard let stored else {
            for (path, category) in watched.files() {
                guard let snapshot = FileSnapshot.read(watched.hostPath(path)) else { continue }
                remember(path, category: category, snapshot: snapshot)
            }
            save()
            _ = readSSHDEffective()
            logger.info("identity baseline formed", metadata: ["files": "\(records.count)", "directories": "\(watched.directories.count)"])
            return []
        }
        records = stored
        for (path, record) in stored where record.category.keepsCopy {
            if let content = store.loadCopy(path) { copies[path] = content }
        }
        sshdEffective = store.loadSSHDEffective().map(SSHDEffectiveConfiguration.init(output:))
        let detections = rescan(seenBy: "verification", time: time)
        if sshdEffective == nil { _ = readSSHDEffective() }
        return detections
    }

    /// Reads sshd's effective configuration now and keeps it; returns the change from the one read before, if both
    /// are known.
    private mutating func readSSHDEffective() -> SSHDEffectiveChange? {
        guard let reader = sshdReader else { return nil }
        let output: [UInt8]
        switch reader.read() {
        case .success(let read): output = read
        case .failure(let error):
            logger.warning("cannot read sshd's effective configuration", metadata: ["error": "\(error)"])
            return nil
        }
        let current = SSHDEffectiveConfiguration(output: output)
        defer { sshdEffective = current }
        do {
            try store.saveSSHDEffective(output)
        } catch {
            logger.error("cannot keep sshd's effective configuration", metadata: ["path": "\(store.sshdEffectivePath)", "error": "\(error)"])
        }
        return sshdEffective.map { SSHDEffectiveChange(before: $0, after: current) }
    }

    /// Handles a batch of events: each changed path is read once, with the last writer the kernel named for it.
    mutating func handle(_ changes: [EntryChange], time: Int64) -> [Detection] {
        var writers: [String: WriterReader.Writer?] = [:]
        var order: [(path: String, category: IdentityCategory)] = []
        var rescanNeeded = false
        for change in changes {
            if change.isDirectory {
                rescanNeeded = true
                continue
            }
            guard let category = watched.category(directory: change.directory, name: change.name) else { continue }
            let path = change.directory == "/" ? "/" + change.name : change.directory + "/" + change.name
            // A file just created is read at its close; a symlink (`systemctl enable`) has no close and is read now.
            if !change.isFinal, !(FileStamp.of(watched.hostPath(path))?.isSymbolicLink ?? true) { continue }
            if writers[path] == nil { order.append((path, category)) }
            if let writer = change.writer { writers[path] = .some(writer) } else if writers[path] == nil { writers[path] = .some(nil) }
        }
        var detections: [Detection] = []
        for (path, category) in order {
            if let detection = evaluate(path, category: category, writer: writers[path] ?? nil, seenBy: "realtime", time: time) {
                detections.append(detection)
            }
        }
        if order.contains(where: { $0.category == .passwd }) || rescanNeeded {
            watched.expand()
            watchedDirectoriesChanged = true
        }
        // A directory that appeared (a new `.ssh`, a recreated `sudoers.d`) may already hold files written before its
        // watch existed: the caller rescans once the new directories are watched.
        if rescanNeeded { rescanRequested = true }
        if !order.isEmpty { save() }
        return detections
    }

    /// Compares every watched file with its record: stat first, hash only what changed; files gone are removals.
    mutating func rescan(seenBy: String, time: Int64) -> [Detection] {
        var detections: [Detection] = []
        var present: Set<String> = []
        var changed = false
        for (path, category) in watched.files() {
            present.insert(path)
            if let record = records[path], record.stamp == FileStamp.of(watched.hostPath(path)) { continue }
            changed = true
            if let detection = evaluate(path, category: category, writer: nil, seenBy: seenBy, time: time) { detections.append(detection) }
        }
        for (path, record) in records.sorted(by: { $0.key < $1.key }) where !present.contains(path) {
            changed = true
            if let detection = evaluate(path, category: record.category, writer: nil, seenBy: seenBy, time: time) { detections.append(detection) }
        }
        if changed { save() }
        return detections
    }

    /// Recomputes the watched directories from the host as it is now (new homes, units' subdirectories).
    mutating func expandWatchedSet() {
        watched.expand()
        watchedDirectoriesChanged = true
    }

    /// The package-run digest when the run has gone quiet.
    mutating func flush(time: Int64) -> [Detection] {
        detector.flush(time: time).map { [$0] } ?? []
    }

    /// Reads `path` now and compares it with its record.
    private mutating func evaluate(_ path: String, category: IdentityCategory, writer: WriterReader.Writer?, seenBy: String, time: Int64)
        -> Detection?
    {
        let after = FileSnapshot.read(watched.hostPath(path))
        let record = records[path]
        let before = record.map { FileSnapshot(stamp: $0.stamp, sha256: $0.sha256, content: copies[path]) }
        let privileged = watched.rootHomes.contains { path.hasPrefix($0 + "/") }
        var observation = IdentityDetector.Observation(
            path: path, category: category, before: before, beforeContent: copies[path], after: after, writer: writer, seenBy: seenBy,
            privileged: privileged, packageLockHeld: writer == nil && packageLockHeld())
        if category == .sshd, before?.sha256 != after?.sha256 { observation.sshdEffective = readSSHDEffective() }
        let detection = detector.observe(observation, time: time)
        if let after {
            remember(path, category: category, snapshot: after)
        } else if record != nil {
            records[path] = nil
            copies[path] = nil
            store.removeCopy(path)
        }
        return detection
    }

    private mutating func remember(_ path: String, category: IdentityCategory, snapshot: FileSnapshot) {
        let previous = records[path]
        records[path] = IdentityStore.Record(stamp: snapshot.stamp, sha256: snapshot.sha256, category: category)
        guard category.keepsCopy, let content = snapshot.content else { return }
        copies[path] = content
        guard previous?.sha256 != snapshot.sha256 || store.loadCopy(path) == nil else { return }
        do {
            try store.saveCopy(path, content)
        } catch {
            logger.error("cannot keep a copy of \(path)", metadata: ["error": "\(error)"])
        }
    }

    private func save() {
        do {
            try store.save(records)
        } catch {
            logger.error("cannot save the identity baseline", metadata: ["path": "\(store.baselinePath)", "error": "\(error)"])
        }
    }

    /// Bytes held for the watched set: records and kept contents (the figure the README quotes).
    var memoryFootprint: Int {
        records.reduce(0) { $0 + $1.key.utf8.count + 64 + 48 + MemoryLayout<FileStamp>.size }
            + copies.reduce(0) { $0 + $1.key.utf8.count + $1.value.count + 32 }
    }
}

/// Whether dpkg holds its lock (`/var/lib/dpkg/lock-frontend`, or `lock` for dpkg run directly): a write lock that
/// another process holds, as `fcntl(F_GETLK)` reports it.
enum DpkgLock {
    static let paths = ["/var/lib/dpkg/lock-frontend", "/var/lib/dpkg/lock"]

    static func isHeld() -> Bool {
        paths.contains { path in
            let descriptor = open(path, O_RDWR | O_CLOEXEC)
            guard descriptor >= 0 else { return false }
            defer { close(descriptor) }
            var lock = flock()
            lock.l_type = Int16(F_WRLCK)
            lock.l_whence = Int16(SEEK_SET)
            guard fcntl(descriptor, F_GETLK, &lock) == 0 else { return false }
            return lock.l_type != Int16(F_UNLCK)
        }
    }
}
