/// Where a byte-level JSON splitter is with respect to strings: inside one or not, and whether the next byte is
/// escaped. The one piece of JSON's grammar a splitter must follow, so that a brace or quote inside a string is not
/// taken for structure.
struct JSONStringState {
    private(set) var inString = false
    private var escaped = false

    /// The opening quote was read.
    mutating func open() {
        inString = true
        escaped = false
    }

    /// Consumes `byte` inside a string; true when it was the closing quote.
    mutating func closes(with byte: UInt8) -> Bool {
        if escaped {
            escaped = false
        } else if byte == UInt8(ascii: "\\") {
            escaped = true
        } else if byte == UInt8(ascii: "\"") {
            inString = false
            return true
        }
        return false
    }

    /// Back to outside any string (a new value starts).
    mutating func reset() {
        inString = false
        escaped = false
    }
}
