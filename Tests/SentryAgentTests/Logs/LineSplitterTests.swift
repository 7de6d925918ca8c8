import Testing

@testable import SentryAgent

@Suite("Cutting bytes into lines")
struct LineSplitterTests {
    static func split(_ chunks: [String], max: Int = 16) -> (lines: [String], consumed: [Int], truncated: Int) {
        var splitter = LineSplitter(maxLineBytes: max)
        var lines: [String] = []
        var consumed: [Int] = []
        for chunk in chunks {
            let bytes = Array(chunk.utf8)
            consumed.append(
                bytes.withUnsafeBufferPointer { buffer in splitter.feed(buffer) { line, _ in lines.append(String(decoding: line, as: UTF8.self)) } })
        }
        return (lines, consumed, splitter.truncatedLines)
    }

    @Test("complete lines come out; the committed count stops after the last newline")
    func completeLines() {
        let result = Self.split(["a\nbb\nccc"])
        #expect(result.lines == ["a", "bb"])
        #expect(result.consumed == [5])
    }

    @Test("a line split across chunks is joined, and CR is kept (lines are what the writer wrote)")
    func acrossChunks() {
        let result = Self.split(["ab", "cd", "ef\r\ng\n"])
        #expect(result.lines == ["abcdef\r", "g"])
        #expect(result.consumed == [0, 0, 6])
    }

    @Test("over-long lines are cut to the cap and still emitted, whether they arrive whole or in pieces; the next line is intact")
    func overLong() {
        let whole = Self.split([String(repeating: "x", count: 17) + "\nok\n"])
        #expect(whole.lines == [String(repeating: "x", count: 16), "ok"] && whole.truncated == 1)
        let pieces = Self.split(["abc", String(repeating: "x", count: 10), String(repeating: "y", count: 10), "zz\nok\n"])
        #expect(pieces.lines == ["abc" + String(repeating: "x", count: 10) + "yyy", "ok"] && pieces.truncated == 1)
        #expect(pieces.consumed == [0, 0, 0, 6])
        let tailInNextChunk = Self.split([String(repeating: "x", count: 16), "y", "zz\nok\n"])
        #expect(tailInNextChunk.lines == [String(repeating: "x", count: 16), "ok"] && tailInNextChunk.truncated == 1)
        let exact = Self.split([String(repeating: "x", count: 16) + "\n"])
        #expect(exact.lines == [String(repeating: "x", count: 16)] && exact.truncated == 0)
    }

    @Test("the tail of an over-long line is never buffered: a megabyte without a newline keeps the buffer at the cap")
    func overLongBounded() {
        var splitter = LineSplitter(maxLineBytes: 256)
        let chunk = [UInt8](repeating: UInt8(ascii: "q"), count: 64 * 1024)
        var lines: [Int] = []
        for _ in 0..<16 {
            chunk.withUnsafeBufferPointer { buffer in _ = splitter.feed(buffer) { line, _ in lines.append(line.count) } }
            #expect(splitter.pending.count == 256)
        }
        let end = Array("\nnext\n".utf8)
        let consumed = end.withUnsafeBufferPointer { buffer in splitter.feed(buffer) { line, _ in lines.append(line.count) } }
        #expect(lines == [256, 4] && consumed == 6 && splitter.truncatedLines == 1 && !splitter.hasPartialLine)
    }

    @Test("the end index handed with each line is just past its newline in the chunk")
    func endIndices() {
        var splitter = LineSplitter()
        var ends: [Int] = []
        let bytes = Array("one\ntwo\n\nthree\n".utf8)
        bytes.withUnsafeBufferPointer { buffer in _ = splitter.feed(buffer) { _, end in ends.append(end) } }
        #expect(ends == [4, 8, 9, 15])
    }
}
