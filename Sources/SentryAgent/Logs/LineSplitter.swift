#if canImport(Glibc)
    import Glibc
#endif

/// Cuts a byte stream into complete lines, without copying lines that lie inside one chunk.
///
/// A line is the bytes before a `\n` (the `\n` is not part of it; a `\r` before it is, so lines are exactly what the
/// writer wrote). Bytes after the last `\n` wait for the rest of their line. A line longer than `maxLineBytes` is never
/// buffered: its bytes are dropped as they arrive and the line is counted in `skippedLines`. Bytes are never
/// validated: invalid UTF-8 and NUL are data.
struct LineSplitter {
    /// The longest line emitted; longer ones are skipped and counted.
    let maxLineBytes: Int
    /// Bytes of a line whose end has not arrived yet.
    private(set) var pending: [UInt8] = []
    /// True inside an over-long line, until its `\n`.
    private var skipping = false
    /// Over-long lines dropped so far.
    private(set) var skippedLines = 0

    init(maxLineBytes: Int = 16_384) {
        self.maxLineBytes = maxLineBytes
    }

    /// True when some bytes wait for the end of their line (including an over-long line being skipped).
    var hasPartialLine: Bool { !pending.isEmpty || skipping }

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
            if skipping {
                skipping = false
            } else if pending.isEmpty {
                let length = newline - start
                if length > maxLineBytes {
                    skippedLines += 1
                } else {
                    line(UnsafeBufferPointer(start: base + start, count: length), end)
                }
            } else {
                let length = pending.count + newline - start
                if length > maxLineBytes {
                    skippedLines += 1
                } else {
                    pending.append(contentsOf: UnsafeBufferPointer(start: base + start, count: newline - start))
                    pending.withUnsafeBufferPointer { line($0, end) }
                }
                pending.removeAll(keepingCapacity: pending.capacity <= 4096)
            }
            start = end
            consumed = end
        }
        if start < count, !skipping {
            if pending.count + (count - start) > maxLineBytes {
                // Drop the over-long line now rather than buffer it: memory stays bounded whatever a writer does.
                pending.removeAll()
                skipping = true
                skippedLines += 1
            } else {
                pending.append(contentsOf: UnsafeBufferPointer(start: base + start, count: count - start))
            }
        }
        return consumed
    }

    /// Forgets a partial line, e.g. when its file was truncated under it. Returns its bytes.
    @discardableResult
    mutating func reset() -> [UInt8] {
        let partial = pending
        pending = []
        skipping = false
        return partial
    }
}
