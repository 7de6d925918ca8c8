/// Collects bytes until the blank line that ends a message head, refusing as soon as the head outgrows its cap.
///
/// Each byte is examined once (the scan resumes where it stopped, three bytes back to catch a split CRLF CRLF),
/// so a slow or oversized head costs time linear in the bytes received.
public struct HeadAccumulator: Sendable {
    public let maxHeadBytes: Int
    private(set) var buffer: [UInt8] = []
    private var scanned = 0

    public init(maxHeadBytes: Int, leftover: [UInt8] = []) {
        self.maxHeadBytes = maxHeadBytes
        buffer = leftover
    }

    public var isEmpty: Bool { buffer.isEmpty }

    /// Adds bytes; returns the head (without the blank line) and whatever follows it once the head is complete.
    public mutating func append(_ bytes: [UInt8]) throws(HTTPParseError) -> (head: ArraySlice<UInt8>, rest: [UInt8])? {
        buffer.append(contentsOf: bytes)
        return try scan()
    }

    /// Scans bytes already buffered (leftovers from a pipelined request).
    public mutating func scan() throws(HTTPParseError) -> (head: ArraySlice<UInt8>, rest: [UInt8])? {
        // Only the first maxHeadBytes + 4 bytes may hold the terminator.
        let limit = min(buffer.count, maxHeadBytes + 4)
        var index = max(0, scanned - 3)
        while index + 3 < limit {
            if buffer[index] == 13, buffer[index + 1] == 10, buffer[index + 2] == 13, buffer[index + 3] == 10 {
                let head = buffer[0..<index]
                let rest = Array(buffer[(index + 4)...])
                return (head, rest)
            }
            index += 1
        }
        scanned = limit
        if buffer.count > maxHeadBytes + 4 { throw HTTPParseError(.headTooLarge) }
        return nil
    }
}
