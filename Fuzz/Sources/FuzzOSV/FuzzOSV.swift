import Foundation
import FuzzSupport

@testable import BotHub

// Fuzzes the hub's reader of Canonical's OSV records: tens of thousands of JSON files fetched from the internet in one
// archive, which `tar` writes to a pipe one after another; `UbuntuOSVFeedReader.Parser` cuts the stream into records
// (`JSONDocumentSplitter`), skips those naming no wanted release, and decodes the rest one at a time.
//
// Input: byte 0 picks the chunk size (1–32, so every token can be split across reads); the rest is the stream.
// Beyond "never crash", the stream is checked against itself read whole: the same entries, or a refusal both ways.
// A small record limit makes the limit's own path reachable.

private let reader = UbuntuOSVFeedReader(versions: ["ubuntu/noble": "24.04"], maxRecordBytes: 4096)

@main
enum FuzzOSVMain {
    static func main() { runFuzzer(fuzzOneInput) }
}

private func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = inputBytes(data, size)
    guard let selector = input.first else { return 0 }
    let stream = Array(input.dropFirst())
    let chunked = read(stream, chunkSize: Int(selector % 32) + 1)
    let whole = read(stream, chunkSize: max(stream.count, 1))
    require(chunked == whole, "chunked reading differs from whole: \(chunked) vs \(whole)")
    if case .entries(let entries) = whole {
        for entry in entries {
            require(entry.release == "ubuntu/noble", "an entry for a release not asked for: \(entry.release)")
            require(entry.advisories.count == 1, "a record gives one advisory per (release, source)")
        }
    }
    return 0
}

/// What a read produced: every entry handed out, or the fact that the stream was refused.
private enum Outcome: Equatable {
    case entries([Entry])
    case refused
}

private struct Entry: Equatable, CustomStringConvertible {
    var release: String
    var source: String
    var advisories: [Advisory]

    var description: String { "\(release)/\(source): \(advisories.map(\.cve))" }
}

private func read(_ stream: [UInt8], chunkSize: Int) -> Outcome {
    var parser = UbuntuOSVFeedReader.Parser(reader: reader)
    var entries: [Entry] = []
    do {
        var offset = 0
        while offset < stream.count {
            let end = min(offset + chunkSize, stream.count)
            try stream[offset..<end].withUnsafeBytes { bytes in
                try parser.feed(bytes) { entries.append(Entry(release: $0.release, source: $0.source, advisories: $0.advisories)) }
            }
            offset = end
        }
        try parser.finish()
    } catch is TrackerFeedError {
        return .refused
    } catch {
        require(false, "a refusal that is not a TrackerFeedError: \(error)")
    }
    return .entries(entries)
}
