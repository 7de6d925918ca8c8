import Logging
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// Follows log files like `tail -F`, but loses nothing and reads nothing twice: the agent's file source.
///
/// - **Rename rotation**: when the path names a new inode, the old file is drained to its end first, then kept open
///   for `rotationGrace` to catch writers that have not reopened yet; the new file is read from its first byte.
/// - **copytruncate**: a file smaller than the read offset, or whose first bytes changed (truncated and regrown past
///   the old offset), is read again from 0; the bytes written before the truncation that were not read yet are read
///   back from the rotated copy next to it (`access.log.1`), found by its fingerprint.
/// - **Deletion and late creation**: a deleted file is drained like a rotated one; a path that does not exist yet is
///   opened from its first byte when it appears. A symlinked path is followed to its target.
/// - **Restart**: after every batch the consumer is flushed, then (inode, offset, fingerprint) of every open
///   generation and the consumer's mark are saved in one file; a restart resumes there, draining a generation that
///   was rotated while the agent was down from the rotated file next to the path.
///
/// Runs on its own thread (`run(stop:)` blocks): file I/O and `poll()` never occupy a Swift concurrency thread.
final class LogFollower<Consumer: LineConsumer> {
    typealias Options = LogFollowerOptions

    let paths: [String]
    let options: Options
    private(set) var consumer: Consumer
    /// Counters since start.
    var statistics: FollowerStatistics {
        var result = counters
        result.truncatedLongLines = files.reduce(retiredTruncatedLines) { total, file in
            total + (file.current?.splitter.truncatedLines ?? 0) + file.draining.reduce(0) { $0 + $1.splitter.truncatedLines }
        }
        return result
    }
    private var counters = FollowerStatistics()
    private var retiredTruncatedLines = 0
    private let store: any FollowerStateStore
    private let logger: Logger
    private var files: [FollowedFile] = []
    private var watcher: FileWatcher
    private var buffer: [UInt8]
    private var consumerMark: Int64?
    private var dirty = false

    init(paths: [String], options: Options = Options(), store: any FollowerStateStore, consumer: Consumer, logger: Logger) {
        self.paths = paths
        self.options = options
        self.store = store
        self.consumer = consumer
        self.logger = logger
        self.buffer = [UInt8](repeating: 0, count: 64 * 1024)
        self.watcher = FileWatcher(inotify: options.useInotify)
    }

    /// Follows until `stop` is signalled; the state is saved after every batch, so returning needs no final save.
    /// `started` is called once the saved state is restored and every file is open (tests wait for it).
    func run(stop: FollowerStopSignal, started: (() -> Void)? = nil) {
        start()
        started?()
        while !stop.isStopped {
            let busy = pumpAll()
            consumer.tick()
            if busy { continue }
            switch watcher.wait(timeout: nextTimeout(), stop: stop) {
            case .stopped: return
            case .changed, .timeout: continue
            }
        }
    }

    /// Restores the saved state and opens what exists. Separate from `run` so tests can step the follower.
    func start() {
        let saved = store.load()
        consumerMark = saved?.consumerMark
        consumer.recover(committedMark: consumerMark)
        for path in paths {
            let file = FollowedFile(path: path)
            files.append(file)
            restore(file, checkpoint: saved?.files[path])
        }
        _ = pumpAll()
    }

    /// Reads whatever is available in every file and handles rotations. Returns true if a file had more to read
    /// than one slice (the caller loops without waiting).
    @discardableResult
    func pumpAll() -> Bool {
        var busy = false
        for file in files {
            watchDirectories(of: file)
            if pump(file) { busy = true }
        }
        if dirty { checkpoint() }
        return busy
    }

    // MARK: - Restoring

    /// Reopens what the checkpoint names. Rotated generations (saved as such, or the saved current one when the
    /// path now names another file) are found next to the path by inode and drained from their saved offsets
    /// before the current file, through the same path as live rotations, so a crash during the restore is safe too.
    private func restore(_ file: FollowedFile, checkpoint: PathCheckpoint?) {
        for position in checkpoint?.rotated ?? [] {
            adoptRotatedCopy(of: file, position: position, reason: "rotated before the restart")
        }
        guard let generation = openGeneration(file.path) else {
            if let current = checkpoint?.current {
                adoptRotatedCopy(of: file, position: current, reason: "rotated away before the restart")
            }
            return
        }
        if let saved = checkpoint?.current {
            let sameContent = generation.prefixMatches(saved.fingerprint) && generation.size >= saved.offset
            if generation.inode == saved.inode, sameContent {
                generation.seek(to: saved.offset)
            } else if generation.inode != saved.inode, sameContent, saved.offset > 0 {
                // Same bytes under a new inode (the file was copied back or restored): continue where we were.
                generation.seek(to: saved.offset)
            } else {
                let reason = generation.inode == saved.inode ? "truncated before the restart" : "rotated before the restart"
                adoptRotatedCopy(of: file, position: saved, reason: reason, excludingInode: generation.inode)
                logger.info("log file changed while the agent was down; reading it from the start", metadata: ["path": "\(file.path)"])
            }
        } else if checkpoint == nil, options.startAtEnd {
            // First sight of a file that already existed: its history is not news. (A path already watched but
            // absent at the last checkpoint appeared while the agent was down: read it all.)
            generation.seek(to: generation.offsetAfterLastNewline())
        }
        file.current = generation
        dirty = true
    }

    // MARK: - Pumping

    private func pump(_ file: FollowedFile) -> Bool {
        var busy = false
        // Rotated generations first: their lines are older than anything in the file now at the path.
        let now = ContinuousClock.now
        var finished: [ObjectIdentifier] = []
        // Iterate over a copy: reading checkpoints, and a checkpoint reads `draining`.
        for generation in file.draining {
            if read(generation) {
                busy = true
                continue
            }
            guard now >= generation.lastDataAt + options.rotationGrace else { continue }
            flushPartialLine(generation)
            retiredTruncatedLines += generation.splitter.truncatedLines
            generation.close()
            finished.append(ObjectIdentifier(generation))
        }
        if !finished.isEmpty {
            file.draining.removeAll { finished.contains(ObjectIdentifier($0)) }
            dirty = true
        }
        if file.current == nil, let generation = openGeneration(file.path) {
            // Late creation, or the new file after a rotation or deletion: everything in it is new.
            file.current = generation
            dirty = true
        }
        if let current = file.current {
            // Check before reading: bytes at the old offset of a truncated-and-regrown file are the middle of new content.
            if checkForTruncation(file, current) { busy = true }
            if read(current) { busy = true }
            checkPathIdentity(file, current)
        }
        return busy
    }

    /// Reads up to one slice from `generation`, hands complete lines to the consumer, and checkpoints after each chunk.
    /// Returns true when the slice was exhausted before the end of the file.
    private func read(_ generation: Generation) -> Bool {
        var total = 0
        while total < options.readSlice {
            let chunkStart = generation.readOffset
            let count = buffer.withUnsafeMutableBytes { pread(generation.descriptor, $0.baseAddress, $0.count, off_t(chunkStart)) }
            guard count > 0 else { return false }
            total += count
            generation.readOffset += Int64(count)
            generation.lastDataAt = .now
            let stream = generation.stream
            var lines = 0
            let consumed = buffer.withUnsafeBufferPointer { all in
                generation.splitter.feed(UnsafeBufferPointer(rebasing: all[0..<count])) { line, end in
                    lines += 1
                    consumer.consume(line, origin: LineOrigin(stream: stream, offset: chunkStart + Int64(end)))
                }
            }
            counters.lines += lines
            if consumed > 0 {
                generation.committedOffset = chunkStart + Int64(consumed)
                checkpoint()
            }
        }
        return true
    }

    /// A file smaller than what was read, or whose first bytes changed, was truncated (and maybe regrown): read what
    /// the rotated copy holds past our position, then read the file again from 0. Returns true if it was.
    private func checkForTruncation(_ file: FollowedFile, _ generation: Generation) -> Bool {
        guard let size = generation.currentSize() else { return false }
        let truncated = size < generation.readOffset
        let replaced = !truncated && !generation.refreshFingerprint()
        guard truncated || replaced else {
            if generation.fingerprintChanged {
                generation.fingerprintChanged = false
                dirty = true
            }
            return false
        }
        counters.truncations += 1
        logger.info(
            "log file truncated; reading it again from the start",
            metadata: ["path": "\(file.path)", "size": "\(size)", "offset": "\(generation.readOffset)", "regrown": "\(replaced)"])
        let lost = FilePosition(
            device: generation.device, inode: generation.inode, offset: generation.committedOffset, fingerprint: generation.fingerprint)
        generation.restartFromZero()
        adoptRotatedCopy(of: file, position: lost, reason: "copytruncate", excludingInode: generation.inode)
        dirty = true
        return true
    }

    /// When the path now names another file (rename rotation, delete and recreate, symlink retargeted) or nothing,
    /// the open generation is drained and kept for the grace period; the next pump opens the new file.
    private func checkPathIdentity(_ file: FollowedFile, _ generation: Generation) {
        var status = stat()
        let exists = stat(file.path, &status) == 0
        if exists, UInt64(status.st_ino) == generation.inode, UInt64(status.st_dev) == generation.device { return }
        _ = read(generation)
        generation.lastDataAt = .now
        file.draining.append(generation)
        file.current = nil
        counters.rotations += 1
        dirty = true
        logger.info(exists ? "log file rotated" : "log file deleted", metadata: ["path": "\(file.path)"])
        if exists, let next = openGeneration(file.path) {
            file.current = next
            _ = read(next)
        }
    }

    /// Emits the unterminated last line of a generation being let go: no more bytes will complete it.
    private func flushPartialLine(_ generation: Generation) {
        let partial = generation.splitter.reset()
        guard !partial.isEmpty else { return }
        let origin = LineOrigin(stream: generation.stream, offset: generation.readOffset)
        partial.withUnsafeBufferPointer { consumer.consume($0, origin: origin) }
        counters.lines += 1
        generation.committedOffset = generation.readOffset
        checkpoint()
    }

    // MARK: - Rotated copies

    /// Finds, next to `file`'s path, the rotated file holding `position`'s generation (same inode, or a copy with the
    /// same first bytes) and queues it for draining from `position.offset`: the lines written to that generation after
    /// we last read it, before it was rotated or copied. Its position is checkpointed like any other.
    private func adoptRotatedCopy(of file: FollowedFile, position: FilePosition, reason: String, excludingInode: UInt64? = nil) {
        let known = Set(file.draining.map(\.inode))
        guard let copy = findRotatedCopy(of: file.path, position: position, excludingInode: excludingInode), !known.contains(copy.inode) else {
            if position.offset > 0 {
                logger.debug("no rotated copy to drain", metadata: ["path": "\(file.path)", "reason": "\(reason)"])
            }
            return
        }
        copy.seek(to: position.offset)
        counters.recoveredBytes += max(0, (copy.currentSize() ?? 0) - position.offset)
        logger.info("reading the rest of a rotated file", metadata: ["path": "\(copy.path)", "offset": "\(position.offset)", "reason": "\(reason)"])
        file.draining.append(copy)
        dirty = true
    }

    private func findRotatedCopy(of path: String, position: FilePosition, excludingInode: UInt64?) -> Generation? {
        let target = resolvedPath(path)
        let directory = FileSystemPath.directory(of: target)
        let base = FileSystemPath.lastComponent(of: target)
        guard let entries = listDirectory(directory) else { return nil }
        var byContent: Generation?
        for name in entries where name != base && name.hasPrefix(base) && !Self.isCompressed(name) {
            guard let candidate = openGeneration(directory + "/" + name) else { continue }
            if candidate.inode == excludingInode {
                candidate.close()
                continue
            }
            if candidate.inode == position.inode, candidate.prefixMatches(position.fingerprint) {
                byContent?.close()
                return candidate
            }
            if byContent == nil, candidate.size >= position.offset, position.fingerprint.length > 0,
                candidate.prefixMatches(position.fingerprint)
            {
                byContent = candidate
            } else {
                candidate.close()
            }
        }
        return byContent
    }

    private static func isCompressed(_ name: String) -> Bool {
        [".gz", ".bz2", ".xz", ".zst", ".lz4", ".zip"].contains { name.hasSuffix($0) }
    }

    // MARK: - Checkpoints

    private func checkpoint() {
        dirty = false
        if let mark = consumer.flush() { consumerMark = mark }
        var state = FollowerState(consumerMark: consumerMark)
        for file in files {
            let rotated = file.draining.map(\.position)
            state.files[file.path] = PathCheckpoint(current: file.current?.position, rotated: rotated.isEmpty ? nil : rotated)
        }
        do {
            try store.save(state)
        } catch {
            counters.checkpointFailures += 1
            if counters.checkpointFailures == 1 || counters.checkpointFailures % 1000 == 0 {
                logger.error("cannot save log positions; a restart may re-read lines", metadata: ["error": "\(error)"])
            }
        }
    }

    private func nextTimeout() -> Duration {
        var timeout = options.pollInterval
        let now = ContinuousClock.now
        for file in files {
            for generation in file.draining {
                timeout = min(timeout, max(.milliseconds(10), generation.lastDataAt + options.rotationGrace - now))
            }
        }
        return timeout
    }

    // MARK: - Paths

    private func watchDirectories(of file: FollowedFile) {
        watcher.watch(directory: FileSystemPath.directory(of: file.path))
        let target = resolvedPath(file.path)
        if target != file.path { watcher.watch(directory: FileSystemPath.directory(of: target)) }
    }

    private func openGeneration(_ path: String) -> Generation? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return nil }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            return nil
        }
        return Generation(
            path: path, descriptor: descriptor, device: UInt64(status.st_dev), inode: UInt64(status.st_ino), size: Int64(status.st_size),
            maxLineBytes: options.maxLineBytes)
    }
}

/// Tuning shared by all files of a follower.
struct LogFollowerOptions: Sendable {
    var maxLineBytes = 16_384
    var pollInterval: Duration = .seconds(1)
    var rotationGrace: Duration = .seconds(5)
    /// Where to start in a file seen for the first time that existed at start-up.
    var startAtEnd = true
    /// Bytes read from one file before the others get a turn.
    var readSlice = 1 << 20
    /// inotify for latency; false leaves only polling (tests of the fallback).
    var useInotify = true
}

/// One path being followed: its open generation and the rotated ones still draining.
final class FollowedFile {
    let path: String
    var current: Generation?
    var draining: [Generation] = []

    init(path: String) {
        self.path = path
    }
}

/// One open file (an inode) and how far it was read.
final class Generation {
    let path: String
    let descriptor: Int32
    let device: UInt64
    let inode: UInt64
    /// Size at open.
    let size: Int64
    /// Next byte to read.
    var readOffset: Int64 = 0
    /// Just past the last complete line handed to the consumer: what a checkpoint saves.
    var committedOffset: Int64 = 0
    var fingerprint: FileFingerprint
    /// Set when the fingerprint grew, so the next checkpoint saves it.
    var fingerprintChanged = false
    var splitter: LineSplitter
    var lastDataAt = ContinuousClock.now
    let stream: UInt64
    private var closed = false

    init(path: String, descriptor: Int32, device: UInt64, inode: UInt64, size: Int64, maxLineBytes: Int) {
        self.path = path
        self.descriptor = descriptor
        self.device = device
        self.inode = inode
        self.size = size
        self.splitter = LineSplitter(maxLineBytes: maxLineBytes)
        self.fingerprint = .empty
        // The stream is the inode, not the path: a generation read again under its rotated name keeps its line origins.
        self.stream = (device &* 0x9E37_79B9_7F4A_7C15) ^ inode
        self.fingerprint = readPrefix().map { $0.withUnsafeBufferPointer { FileFingerprint(prefix: $0) } } ?? .empty
    }

    deinit {
        close()
    }

    func close() {
        guard !closed else { return }
        closed = true
        _ = Glibc.close(descriptor)
    }

    var position: FilePosition {
        FilePosition(device: device, inode: inode, offset: committedOffset, fingerprint: fingerprint)
    }

    func seek(to offset: Int64) {
        readOffset = offset
        committedOffset = offset
    }

    func restartFromZero() {
        splitter.reset()
        seek(to: 0)
        fingerprint = readPrefix().map { $0.withUnsafeBufferPointer { FileFingerprint(prefix: $0) } } ?? .empty
        fingerprintChanged = true
    }

    func currentSize() -> Int64? {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        return Int64(status.st_size)
    }

    /// True when the file still starts with the fingerprinted bytes; extends the fingerprint if the file has grown.
    func refreshFingerprint() -> Bool {
        guard let prefix = readPrefix() else { return true }
        return prefix.withUnsafeBufferPointer { bytes in
            guard fingerprint.matches(prefix: bytes) else { return false }
            if bytes.count > fingerprint.length, fingerprint.length < FileFingerprint.maximumLength {
                fingerprint = FileFingerprint(prefix: bytes)
                fingerprintChanged = true
            }
            return true
        }
    }

    func prefixMatches(_ other: FileFingerprint) -> Bool {
        guard let prefix = readPrefix() else { return other.length == 0 }
        return prefix.withUnsafeBufferPointer { other.matches(prefix: $0) }
    }

    /// Where a reader starting "at the end" begins: just past the last `\n`, so a half-written last line is read whole.
    func offsetAfterLastNewline() -> Int64 {
        guard let size = currentSize(), size > 0 else { return 0 }
        var window = [UInt8](repeating: 0, count: 4096)
        var end = size
        while end > 0 {
            let start = max(0, end - Int64(window.count))
            let count = window.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, Int(end - start), off_t(start)) }
            guard count > 0 else { return size }
            if let index = window[0..<count].lastIndex(of: UInt8(ascii: "\n")) { return start + Int64(index) + 1 }
            end = start
        }
        return 0
    }

    private func readPrefix() -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: FileFingerprint.maximumLength)
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { return nil }
        bytes.removeLast(bytes.count - count)
        return bytes
    }
}

// MARK: - Path helpers

/// `path` with symlinks resolved, or `path` itself when it does not exist.
func resolvedPath(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved)
}

/// The names in `directory`, or nil if it cannot be read.
func listDirectory(_ directory: String) -> [String]? {
    guard let stream = opendir(directory) else { return nil }
    defer { closedir(stream) }
    var names: [String] = []
    while let entry = readdir(stream) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != ".", name != ".." { names.append(name) }
    }
    return names
}
