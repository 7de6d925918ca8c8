import Foundation

/// One source package's advisories in one release, as a feed reader hands them to the store.
struct FeedEntry {
    /// The key the fleet's inventories are matched under (`FeedRelease`): `bookworm`, `ubuntu/noble`.
    var release: String
    var source: String
    var advisories: [Advisory]
}

/// Reads the Debian security tracker's JSON (`https://security-tracker.debian.org/tracker/data/json`) as a stream:
/// one source package at a time, decoded alone, so memory stays near the largest package's entry whatever the size
/// of the feed.
struct TrackerFeedReader {
    /// The releases (codenames) whose advisories are handed out; the others are dropped as each package is decoded.
    var releases: Set<String>
    /// Which source packages to decode at all (the others are skipped as bytes, never decoded): everything by default.
    var wantsSource: (String) -> Bool = { _ in true }
    var chunkSize = 1 << 16
    var limits = TrackerSplitter.Limits()

    typealias Entry = FeedEntry

    /// Streams the file at `path`, calling `body` for every (release, source) with at least one advisory.
    func read(path: String, _ body: (Entry) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw TrackerFeedError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }  // Read-only: a failed close loses nothing.
        var parser = Parser(reader: self)
        while true {
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: chunkSize) ?? Data()
            } catch {
                throw TrackerFeedError("cannot read \(path): \(error.localizedDescription)")
            }
            if chunk.isEmpty { break }
            try chunk.withUnsafeBytes { bytes in try parser.feed(bytes, body) }
        }
        try parser.finish()
    }

    /// The reading state over chunks that arrive from anywhere (a file, a download).
    struct Parser {
        let reader: TrackerFeedReader
        private var splitter: TrackerSplitter
        private let decoder = JSONDecoder()

        init(reader: TrackerFeedReader) {
            self.reader = reader
            self.splitter = TrackerSplitter(limits: reader.limits)
        }

        mutating func feed(_ bytes: UnsafeRawBufferPointer, _ body: (Entry) throws -> Void) throws {
            let reader = reader
            let decoder = decoder
            do {
                try splitter.feed(bytes) { rawKey, value in
                    let source = try Self.key(rawKey, decoder: decoder)
                    guard reader.wantsSource(source) else { return }
                    var entries: [Entry] = []
                    do {
                        let entry = try decoder.decode(TrackerPackageEntry.self, from: Data(value))
                        for release in reader.releases.sorted() {
                            let advisories = try entry.advisories(release: release)
                            if !advisories.isEmpty { entries.append(Entry(release: release, source: source, advisories: advisories)) }
                        }
                    } catch let error as TrackerFeedError {
                        throw TrackerFeedError("source package \"\(source)\": \(error.description)")
                    } catch {
                        throw TrackerFeedError("source package \"\(source)\": \(Self.describe(error))")
                    }
                    for entry in entries { try body(entry) }
                }
            } catch let error as TrackerSplitter.SplitError {
                throw TrackerFeedError(error.description)
            } catch let error as TrackerFeedError {
                // The offset of the value that failed, so a broken feed can be inspected with `tail -c +N`.
                throw TrackerFeedError("\(error.description) (value at byte \(splitter.valueOffset))")
            }
        }

        func finish() throws {
            do {
                try splitter.finish()
            } catch {
                throw TrackerFeedError("\(error)")
            }
        }

        /// A key as written between its quotes; escapes (rare in package names, but legal JSON) decoded by the
        /// decoder itself.
        private static func key(_ raw: [UInt8], decoder: JSONDecoder) throws -> String {
            guard raw.contains(UInt8(ascii: "\\")) else { return String(decoding: raw, as: UTF8.self) }
            do {
                return try decoder.decode(String.self, from: Data([UInt8(ascii: "\"")] + raw + [UInt8(ascii: "\"")]))
            } catch {
                throw TrackerFeedError("a key with an invalid escape: \(describe(error))")
            }
        }

        private static func describe(_ error: any Error) -> String {
            switch error {
            case DecodingError.dataCorrupted(let context), DecodingError.typeMismatch(_, let context),
                DecodingError.valueNotFound(_, let context), DecodingError.keyNotFound(_, let context):
                let path = context.codingPath.map(\.stringValue).joined(separator: ".")
                return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
            default:
                return "\(error)"
            }
        }
    }
}
