/// Names one line for good: the stream it came from (a file generation or the journal) and where it ended.
///
/// A line read twice (after a crash between a batch and its checkpoint) has the same origin both times, so alert ids
/// derived from it are the same and the hub shows the alert once.
struct LineOrigin: Sendable, Hashable {
    /// A hash of the path and inode, or of the journal cursor.
    var stream: UInt64
    /// The byte offset just past the line's `\n` in its file (0 for journal entries).
    var offset: Int64
}

/// Receives lines from a log source, in order, in batches.
protocol LineConsumer {
    /// One complete line (without its `\n`). The bytes are only valid during the call.
    mutating func consume(_ line: UnsafeBufferPointer<UInt8>, origin: LineOrigin)

    /// Ends a batch: make the effects of the lines consumed so far durable, and return a mark to be saved atomically
    /// with the source's positions (nil if the consumer keeps none). Called before every checkpoint.
    mutating func flush() -> Int64?

    /// Called once before the first line with the mark saved in the last checkpoint, so a consumer whose effects
    /// went further than that checkpoint (a crash after `flush()`, before the save) can roll them back.
    mutating func recover(committedMark: Int64?)

    /// Called whenever the follower wakes, lines or not: time-based housekeeping (idle eviction) goes here.
    mutating func tick()
}

extension LineConsumer {
    mutating func flush() -> Int64? { nil }
    mutating func recover(committedMark: Int64?) {}
    mutating func tick() {}
}

/// Counts kept by a follower, for logs, `replay` and `follow` summaries.
struct FollowerStatistics: Sendable, Equatable {
    var lines = 0
    /// Lines over `maxLineBytes`, cut to it and still handed on (not file truncations: see `truncations`).
    var truncatedLongLines = 0
    var rotations = 0
    var truncations = 0
    /// Bytes read back from a rotated copy after a copytruncate or a rotation while the agent was down.
    var recoveredBytes: Int64 = 0
    var checkpointFailures = 0
}
