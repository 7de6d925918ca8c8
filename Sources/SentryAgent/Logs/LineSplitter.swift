#if canImport(Glibc)
    import Glibc
#endif

/// Cuts a byte stream into complete lines, without copying lines that lie inside one chunk.
///
/// A line is the bytes before a `\n` (the `\n` is not part of it; a `\r` before it is, so lines are exactly what the
/// writer wrote). Bytes after the last `\n` wait for the rest of their line. Bytes are never validated: invalid UTF-8
/// and NUL are data.
///
/// A line longer than `maxLineBytes` is cut to its first `maxLineBytes` bytes and still emitted (when its `\n`
/// arrives, so its end index and the committed position stay exact), and counted in `truncatedLines`. Skipping it
/// whole would let a scanner hide behind an 8 KiB Referer: nginx writes the address, time, request and status first.
/// The rest of the line is dropped as it arrives, never buffered: memory stays bounded whatever a writer does.
struct LineSplitter {
    /// The longest line emitted; longer ones are cut to this length.
    let maxLineBytes: Int
    /// Bytes of a line whose end has not arrived yet (at most `maxLineBytes`).
    private(set) var pending: [UInt8] = []
    /// True inside an over-long line whose first `maxLineBytes` are in `pending`, until its `\n`.
    private var discardingTail = false
    /// Over-long lines cut so far.
    private(set) var truncatedLines = 0

    init(maxLineBytes: Int = 16_384) {
        self.maxLineBytes = maxLineBytes
    }

    /// True when some bytes wait for the end of their line (including the tail of an over-long line).
    var hasPartialLine: Bool { !pending.isEmpty || discardingTail }

    /// Feeds `chunk` and calls `line` for each complete line with the index just past its `\n` in `chunk`.
    ///
    /// Returns the number of bytes of `chunk` up to and including its last `\n` (0 if it has none): the caller's
    /// committed position advances by exactly that much, so a restart re-reads only a partial last line.
    @discardableResult
    mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, line: (UnsafeBufferPointer<UInt8>, Int) -> Void) -> Int {
        guard let base = chunk.baseAddress, !chunk.isEmpty else { return 0 }
        var start = 0
        var consumed = 0
        let count = chunk.count
        while start < count {
            guard let found = memchr(base + start, Int32(UInt8(ascii: "\n")), count - start) else { break }
            let newline = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            let end = newline + 1
            if pending.isEmpty, !discardingTail {
                let length = newline - start
                if length > maxLineBytes { truncatedLines += 1 }
                line(UnsafeBufferPointer(start: base + start, count: min(length, maxLineBytes)), end)
            } else {
                if !discardingTail { appendCapped(UnsafeBufferPointer(start: base + start, count: newline - start)) }
                pending.withUnsafeBufferPointer { line($0, end) }
                pending.removeAll(keepingCapacity: pending.capacity <= 4096)
                discardingTail = false
            }
            start = end
            consumed = end
        }
        if start < count, !discardingTail {
            appendCapped(UnsafeBufferPointer(start: base + start, count: count - start))
        }
        return consumed
    }

    /// Appends to `pending` up to the cap; the first byte past it starts discarding the line's tail.
    private mutating func appendCapped(_ bytes: UnsafeBufferPointer<UInt8>) {
        let room = maxLineBytes - pending.count
        if bytes.count <= room {
            pending.append(contentsOf: bytes)
        } else {
            pending.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[0..<room]))
            discardingTail = true
            truncatedLines += 1
        }
    }

    /// Forgets a partial line, e.g. when its file was truncated under it. Returns its bytes (cut to the cap).
    @discardableResult
    mutating func reset() -> [UInt8] {
        let partial = pending
        pending = []
        discardingTail = false
        return partial
    }
}
