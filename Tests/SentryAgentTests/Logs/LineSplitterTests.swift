import Testing

@testable import SentryAgent

@Suite("Cutting bytes into lines")
struct LineSplitterTests {
    static func split(_ chunks: [String], max: Int = 16) -> (lines: [String], consumed: [Int], skipped: Int) {
        var splitter = LineSplitter(maxLineBytes: max)
        var lines: [String] = []
        var consumed: [Int] = []
        for chunk in chunks {
            let bytes = Array(chunk.utf8)
            consumed.append(
                bytes.withUnsafeBufferPointer { buffer in splitter.feed(buffer) { line, _ in lines.append(String(decoding: line, as: UTF8.self)) } })
        }
        return (lines, consumed, splitter.skippedLines)
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

    @Test("over-long lines are dropped whether they arrive whole or in pieces; the next line is intact")
    func overLong() {
        let whole = Self.split([String(repeating: "x", count: 17) + "\nok\n"])
        #expect(whole.lines == ["ok"] && whole.skipped == 1)
        let pieces = Self.split([String(repeating: "x", count: 10), String(repeating: "y", count: 10), "zz\nok\n"])
        #expect(pieces.lines == ["ok"] && pieces.skipped == 1)
        #expect(pieces.consumed == [0, 0, 6])
        let exact = Self.split([String(repeating: "x", count: 16) + "\n"])
        #expect(exact.lines == [String(repeating: "x", count: 16)] && exact.skipped == 0)
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
