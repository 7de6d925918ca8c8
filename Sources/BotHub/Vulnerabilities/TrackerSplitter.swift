/// Splits a JSON document whose top level is one object into its members, fed in chunks of any size: the key and the
/// raw bytes of each value are handed out as soon as the value closes, and nothing else is kept.
///
/// Why not decode the whole document: the Debian security tracker's JSON is ~70 MB, and `JSONDecoder` over it holds
/// the bytes, a parsed tree and the decoded values at once (well over 1 GB). One source package's value is at most a
/// few MB (the kernel's), so decoding values one by one keeps the peak near the largest value. The splitter only
/// tracks what it must to find where a value ends (strings, escapes, nesting); each value is then checked in full by
/// `JSONDecoder`. Malformed input is refused with the byte offset of the first byte that cannot be right.
struct TrackerSplitter {
    /// Why the document cannot be split, with the offset of the offending byte from the start of the document.
    struct SplitError: Error, Equatable, CustomStringConvertible {
        let offset: Int
        let reason: String
        var description: String { "malformed JSON at byte \(offset): \(reason)" }
    }

    /// Limits, so a hostile or broken document cannot make one value (or key) grow without bound.
    struct Limits: Sendable {
        var maximumValueBytes = 64 << 20
        var maximumKeyBytes = 4096
        var maximumDepth = 64
    }

    private enum State {
        case start
        case keyOrEnd
        case key
        case inKey(escaped: Bool)
        case colon
        case value
        case inValue
        case commaOrEnd
        case done
    }

    private let limits: Limits
    private var state = State.start
    /// Bytes consumed before the current chunk.
    private var consumed = 0
    private var key: [UInt8] = []
    private var value: [UInt8] = []
    /// Inside the current value: nesting depth (0 for a scalar), and whether a string is open and an escape pending.
    private var depth = 0
    private var string = JSONStringState()
    /// Whether the current value is a scalar (a number, `true`, `false`, `null`), which ends at a delimiter.
    private var scalar = false
    /// The offset of the current value's first byte, for error messages about it.
    private(set) var valueOffset = 0

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Whether the closing brace of the top-level object has been read.
    var isComplete: Bool {
        if case .done = state { return true }
        return false
    }

    /// Consumes `chunk`, calling `member` with each key (its raw bytes between the quotes, escapes as written) and
    /// value whose end lies in it.
    mutating func feed(_ chunk: UnsafeRawBufferPointer, _ member: (_ key: [UInt8], _ value: [UInt8]) throws -> Void) throws {
        let bytes = chunk.bindMemory(to: UInt8.self)
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            switch state {
            case .start:
                if !Self.isSpace(byte) {
                    guard byte == UInt8(ascii: "{") else { throw error(index, "the document must be an object") }
                    state = .keyOrEnd
                }
            case .keyOrEnd, .key:
                if !Self.isSpace(byte) {
                    if byte == UInt8(ascii: "\"") {
                        state = .inKey(escaped: false)
                    } else if byte == UInt8(ascii: "}"), case .keyOrEnd = state {
                        state = .done
                    } else {
                        throw error(index, "expected a key")
                    }
                }
            case .inKey(let pending):
                if pending {
                    state = .inKey(escaped: false)
                } else if byte == UInt8(ascii: "\\") {
                    state = .inKey(escaped: true)
                } else if byte == UInt8(ascii: "\"") {
                    state = .colon
                    index += 1
                    continue
                } else if byte < 0x20 {
                    throw error(index, "control character in a key")
                }
                guard key.count < limits.maximumKeyBytes else { throw error(index, "key longer than \(limits.maximumKeyBytes) bytes") }
                key.append(byte)
            case .colon:
                if !Self.isSpace(byte) {
                    guard byte == UInt8(ascii: ":") else { throw error(index, "expected ':' after a key") }
                    state = .value
                }
            case .value:
                if !Self.isSpace(byte) {
                    valueOffset = consumed + index
                    depth = 0
                    string.reset()
                    scalar = false
                    switch byte {
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth = 1
                    case UInt8(ascii: "\""): string.open()
                    case UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: ","), UInt8(ascii: ":"): throw error(index, "expected a value")
                    default: scalar = true
                    }
                    state = .inValue
                    value.append(byte)
                }
            case .inValue:
                // The hot loop: everything up to the value's end (or the chunk's) is appended in one slice.
                let start = index
                var end = -1
                scan: while index < count {
                    let byte = bytes[index]
                    if string.inString {
                        if string.closes(with: byte), depth == 0 {
                            end = index + 1
                            break scan
                        }
                    } else if scalar {
                        if Self.isSpace(byte) || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") {
                            end = index
                            break scan
                        }
                    } else {
                        switch byte {
                        case UInt8(ascii: "\""):
                            string.open()
                        case UInt8(ascii: "{"), UInt8(ascii: "["):
                            depth += 1
                            guard depth <= limits.maximumDepth else { throw error(index, "nesting deeper than \(limits.maximumDepth)") }
                        case UInt8(ascii: "}"), UInt8(ascii: "]"):
                            depth -= 1
                            if depth == 0 { end = index + 1 }
                        default:
                            break
                        }
                        if end >= 0 { break scan }
                    }
                    index += 1
                }
                let stop = end >= 0 ? end : count
                guard value.count + (stop - start) <= limits.maximumValueBytes else {
                    throw error(stop - 1, "the value of one key is larger than \(limits.maximumValueBytes) bytes")
                }
                value.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<stop]))
                guard end >= 0 else { return advance(count) }
                try member(key, value)
                key.removeAll(keepingCapacity: true)
                value.removeAll(keepingCapacity: true)
                state = .commaOrEnd
                index = end
                continue
            case .commaOrEnd:
                if !Self.isSpace(byte) {
                    switch byte {
                    case UInt8(ascii: ","): state = .key
                    case UInt8(ascii: "}"): state = .done
                    default: throw error(index, "expected ',' or '}' after a value")
                    }
                }
            case .done:
                guard Self.isSpace(byte) else { throw error(index, "data after the end of the document") }
            }
            index += 1
        }
        advance(count)
    }

    /// Called after the last chunk: a document that ended early is refused with its length as the offset.
    func finish() throws {
        guard isComplete else { throw SplitError(offset: consumed, reason: "the document ends before its closing '}'") }
    }

    private mutating func advance(_ count: Int) {
        consumed += count
    }

    private func error(_ index: Int, _ reason: String) -> SplitError {
        SplitError(offset: consumed + index, reason: reason)
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t")
    }
}
