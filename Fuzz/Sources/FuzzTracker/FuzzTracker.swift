import Foundation
import FuzzSupport

@testable import BotHub

// Fuzzes the hub's reader of the Debian security tracker's JSON: a ~70 MB document fetched from the internet, read as
// a stream (`TrackerSplitter` cuts the top-level object into members across chunk boundaries, each member decoded
// alone by `TrackerFeedReader.Parser`).
//
// Input: byte 0 picks the chunk size (1–32, so every token can be split across reads); the rest is the document.
// Beyond "never crash", the stream is checked against itself read whole: the same entries, or a refusal both ways.
// A chunk boundary that changed what the splitter sees (a quote, an escape, a nesting level cut in two) would show
// here. Small limits (value, key, depth) make the limits' own paths reachable.

private let releases: Set<String> = ["bookworm", "bullseye"]
private let limits = TrackerSplitter.Limits(maximumValueBytes: 4096, maximumKeyBytes: 64, maximumDepth: 8)

@main
enum FuzzTrackerMain {
    static func main() { runFuzzer(fuzzOneInput) }
}

private func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = inputBytes(data, size)
    guard let selector = input.first else { return 0 }
    let document = Array(input.dropFirst())
    let chunked = read(document, chunkSize: Int(selector % 32) + 1)
    let whole = read(document, chunkSize: max(document.count, 1))
    require(chunked == whole, "chunked reading differs from whole: \(chunked) vs \(whole)")
    if case .entries(let entries) = whole {
        for entry in entries {
            require(releases.contains(entry.release), "an entry for a release not asked for: \(entry.release)")
            require(!entry.advisories.isEmpty, "an entry without advisories")
        }
    }
    return 0
}

/// What a read produced: every entry handed out, or the fact that the document was refused.
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

private func read(_ document: [UInt8], chunkSize: Int) -> Outcome {
    var parser = TrackerFeedReader.Parser(reader: TrackerFeedReader(releases: releases, limits: limits))
    var entries: [Entry] = []
    do {
        var offset = 0
        while offset < document.count {
            let end = min(offset + chunkSize, document.count)
            try document[offset..<end].withUnsafeBytes { bytes in
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
