/// Splits a stream of concatenated JSON objects (`{…}{…}` or one per line, as `tar -O` writes the files of an
/// archive) into one object at a time, whatever the chunk boundaries: only strings, escapes and brace depth are
/// tracked, and each object is handed out whole for a real decoder to judge.
struct JSONDocumentSplitter {
    /// An object larger than this is refused rather than buffered (a record is kilobytes; a broken stream could be
    /// gigabytes without a closing brace).
    var maxDocumentBytes = 16 << 20
    private var document: [UInt8] = []
    private var depth = 0
    private var string = JSONStringState()
    /// Bytes consumed so far, for the error's position.
    private(set) var offset = 0

    init(maxDocumentBytes: Int = 16 << 20) {
        self.maxDocumentBytes = maxDocumentBytes
    }

    struct SplitError: Error, CustomStringConvertible {
        let description: String
    }

    /// Feeds `bytes`, calling `body` with each object completed by them.
    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ body: ([UInt8]) throws -> Void) throws {
        var start = 0
        for (index, byte) in bytes.enumerated() {
            defer { offset += 1 }
            if depth == 0 {
                if Self.isWhitespace(byte) {
                    start = index + 1
                    continue
                }
                guard byte == UInt8(ascii: "{") else { throw SplitError(description: "not a JSON object at byte \(offset)") }
                start = index
                depth = 1
                continue
            }
            if string.inString {
                _ = string.closes(with: byte)
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): string.open()
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 {
                    document.append(contentsOf: bytes[start...index])
                    try checkSize()
                    let complete = document
                    document.removeAll(keepingCapacity: true)
                    try body(complete)
                    start = index + 1
                }
            default: break
            }
        }
        if depth > 0 {
            document.append(contentsOf: bytes[start...])
            try checkSize()
        }
    }

    /// The stream ended: an object still open is a truncated stream.
    func finish() throws {
        guard depth == 0 else { throw SplitError(description: "the stream ends inside an object (\(document.count) bytes of it)") }
    }

    private func checkSize() throws {
        guard document.count <= maxDocumentBytes else {
            throw SplitError(description: "an object longer than \(maxDocumentBytes) bytes at byte \(offset)")
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
