import Foundation
import Testing
import VigilTestSupport

@testable import BotHub

@Suite("TrackerSplitter: a top-level JSON object split into members as a stream")
struct TrackerSplitterTests {
    static let document = #"""
         {"a": {"x": "}\"{\\", "y": [1, {"z": "]"}]}, "b" :[ {"c": []} ] ,"c\"q":3,"d": "s\"tr}", "e":true ,
        "f": {} }
        """#

    /// Splits `bytes` fed in chunks of `size`, returning each member as (key, value) text.
    static func split(_ bytes: [UInt8], chunk size: Int, limits: TrackerSplitter.Limits = .init()) throws -> [(String, String)] {
        var splitter = TrackerSplitter(limits: limits)
        var members: [(String, String)] = []
        var start = 0
        while start < bytes.count {
            let end = min(start + size, bytes.count)
            try Array(bytes[start..<end]).withUnsafeBytes { chunk in
                try splitter.feed(chunk) { key, value in
                    members.append((String(decoding: key, as: UTF8.self), String(decoding: value, as: UTF8.self)))
                }
            }
            start = end
        }
        try splitter.finish()
        return members
    }

    @Test("every member's key and value come out whole, whatever the chunk size, strings with braces and escapes included")
    func everyChunkSize() throws {
        let bytes = Array(Self.document.utf8)
        let expected: [(String, String)] = [
            ("a", #"{"x": "}\"{\\", "y": [1, {"z": "]"}]}"#), ("b", #"[ {"c": []} ]"#), (#"c\"q"#, "3"), ("d", #""s\"tr}""#),
            ("e", "true"), ("f", "{}"),
        ]
        for size in 1...bytes.count {
            let members = try Self.split(bytes, chunk: size)
            #expect(members.map(\.0) == expected.map(\.0), "chunk size \(size)")
            #expect(members.map(\.1) == expected.map(\.1), "chunk size \(size)")
        }
    }

    @Test(
        "malformed documents are refused with the offset of the first wrong byte",
        arguments: [
            ("[1]", 0, "must be an object"), (#"{"a" 1}"#, 5, "expected ':'"), (#"{"a":1,}"#, 7, "expected a key"),
            (#"{"a":{"b":1}"#, 12, "ends before"), ("{} x", 3, "after the end"), (#"{"a":{} "b":1}"#, 8, "expected ','"),
            (#"{"a":,}"#, 5, "expected a value"), ("", 0, "ends before"), ("{\"a\u{1}\":1}", 3, "control character"),
        ])
    func malformed(document: String, offset: Int, reason: String) throws {
        let error = try #require(throws: TrackerSplitter.SplitError.self) { try Self.split(Array(document.utf8), chunk: 3) }
        #expect(error.offset == offset)
        #expect(error.description.contains(reason))
    }

    @Test("nesting and value size are bounded")
    func bounded() throws {
        let deep = "{\"a\":" + String(repeating: "[", count: 65) + String(repeating: "]", count: 65) + "}"
        let depthError = try #require(throws: TrackerSplitter.SplitError.self) { try Self.split(Array(deep.utf8), chunk: 7) }
        #expect(depthError.description.contains("nesting deeper than 64"))
        #expect(depthError.offset == 5 + 64)

        let large = "{\"a\":\"" + String(repeating: "x", count: 200) + "\"}"
        var limits = TrackerSplitter.Limits()
        limits.maximumValueBytes = 100
        let sizeError = try #require(throws: TrackerSplitter.SplitError.self) { try Self.split(Array(large.utf8), chunk: 16, limits: limits) }
        #expect(sizeError.description.contains("larger than 100 bytes"))
    }

    @Test("random corruptions of a feed never crash the reader: it reads, or refuses with an offset")
    func fuzz() throws {
        let feed = Array(TrackerFixture.feed.utf8)
        var generator = SeededGenerator(seed: 17)
        let specials: [UInt8] = Array(#"{}[]":,\ "#.utf8) + [0, 0xFF, UInt8(ascii: "a"), UInt8(ascii: "1")]
        var refused = 0
        for _ in 0..<2_000 {
            var bytes = feed
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[index] = specials.randomElement(using: &generator)!
                case 1: bytes.remove(at: index)
                default: bytes.insert(specials.randomElement(using: &generator)!, at: index)
                }
            }
            if Bool.random(using: &generator) { bytes.removeLast(Int.random(in: 0..<bytes.count, using: &generator)) }
            var parser = TrackerFeedReader.Parser(reader: TrackerFeedReader(releases: ["bookworm", "bullseye"]))
            do {
                try bytes.withUnsafeBytes { chunk in try parser.feed(chunk) { _ in } }
                try parser.finish()
            } catch let error as TrackerFeedError {
                refused += 1
                #expect(error.description.contains("byte "), "\(error)")
            }
        }
        #expect(refused > 1_000)
    }
}
