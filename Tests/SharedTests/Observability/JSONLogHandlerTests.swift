import Foundation
import Logging
import Synchronization
import Testing

@testable import Shared

@Suite("JSON log lines")
struct JSONLogHandlerTests {
    /// Parses one line the handler wrote.
    static func parse(_ data: Data) throws -> [String: Any] {
        #expect(data.last == 0x0A, "each line ends with a newline")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("numbers, booleans, arrays and dictionaries keep their JSON types; other values are strings")
    func typedValues() throws {
        let metadata: Logger.Metadata = [
            "queued": .stringConvertible(12),
            "ratio": .stringConvertible(0.25),
            "dryRun": .stringConvertible(true),
            "paths": .array([.string("/var/log/a.log"), .stringConvertible(3)]),
            "hub": .dictionary(["port": .stringConvertible(7070), "host": .string("127.0.0.1")]),
            "text": .string("42"),
            "id": .stringConvertible(UUID(uuidString: "00000000-0000-0000-0000-000000000001")!),
        ]
        let object = try Self.parse(
            JSONLogHandler.line(time: Date(timeIntervalSince1970: 0), level: .info, label: "test", message: "hello", metadata: metadata))
        #expect((object["queued"] as? NSNumber)?.intValue == 12)
        #expect(object["queued"] is NSNumber && !(object["queued"] is String))
        #expect((object["ratio"] as? NSNumber)?.doubleValue == 0.25)
        #expect(object["dryRun"] as? Bool == true)
        let paths = try #require(object["paths"] as? [Any])
        #expect(paths.first as? String == "/var/log/a.log")
        #expect((paths.last as? NSNumber)?.intValue == 3)
        let hub = try #require(object["hub"] as? [String: Any])
        #expect((hub["port"] as? NSNumber)?.intValue == 7070)
        #expect(hub["host"] as? String == "127.0.0.1")
        // A string stays a string even when it looks like a number: only typed values become numbers.
        #expect(object["text"] as? String == "42")
        #expect(object["id"] as? String == "00000000-0000-0000-0000-000000000001")
        #expect(object["message"] as? String == "hello")
        #expect(object["level"] as? String == "info")
        #expect(object["label"] as? String == "test")
    }

    @Test("the raw line writes booleans and numbers unquoted")
    func rawText() {
        let data = JSONLogHandler.line(
            time: Date(timeIntervalSince1970: 0), level: .notice, label: "l", message: "m",
            metadata: ["n": .stringConvertible(5), "b": .stringConvertible(false)])
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""n":5"#))
        #expect(text.contains(#""b":false"#))
    }

    @Test("times are UTC ISO 8601 with milliseconds")
    func subSecondTime() throws {
        let object = try Self.parse(
            JSONLogHandler.line(time: Date(timeIntervalSince1970: 1_700_000_000.125), level: .info, label: "l", message: "m", metadata: [:]))
        #expect(object["time"] as? String == "2023-11-14T22:13:20.125Z")
    }

    @Test("metadata cannot replace the fixed fields; a logger's own metadata is written")
    func fixedFieldsWin() throws {
        let lines = LockedLines()
        var handler = JSONLogHandler(label: "agent", level: .info) { lines.append($0) }
        handler[metadataKey: "agent"] = .string("web-1")
        var logger = Logger(label: "agent") { _ in handler }
        logger.logLevel = .info
        logger.info("started", metadata: ["message": "spoofed", "queued": .stringConvertible(0)])
        logger.debug("not written")
        let written = lines.all
        #expect(written.count == 1)
        let object = try Self.parse(try #require(written.first))
        #expect(object["message"] as? String == "started")
        #expect(object["agent"] as? String == "web-1")
        #expect((object["queued"] as? NSNumber)?.intValue == 0)
    }
}

/// Lines a handler wrote, collected from whichever thread logged.
final class LockedLines: Sendable {
    private let lines = Mutex<[Data]>([])

    func append(_ line: Data) {
        lines.withLock { $0.append(line) }
    }

    var all: [Data] { lines.withLock { $0 } }
}
