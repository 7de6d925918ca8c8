import Foundation
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// Reads Canonical's OSV archive (`https://security-metadata.canonical.com/osv/osv-all.tar.xz`) as a stream: `tar`
/// decompresses only the CVE records (`*/cve/*.json`; the notices repeat their fixes) to a pipe, never to disk, and
/// each record is decoded alone, so memory stays near one record whatever the archive's size. A record that names
/// none of the wanted releases is skipped before decoding.
///
/// `tar` and `xz` are run with an argument vector (no shell); the hub's host needs `tar` and `xz-utils`.
struct UbuntuOSVFeedReader {
    /// Release key (`ubuntu/noble`) → `VERSION_ID` (`24.04`).
    var versions: [String: String]
    var tar = "/usr/bin/tar"
    var chunkSize = 1 << 16
    var maxRecordBytes = 16 << 20

    /// The archive members read: the CVE records, wherever the archive roots them.
    static let memberPattern = "*/cve/*.json"

    /// Streams the archive at `path`, calling `body` for each (release, source) a record describes.
    func read(path: String, _ body: (FeedEntry) throws -> Void) throws {
        let ecosystems = UbuntuOSVRecord.ecosystems(versions: versions)
        // The bytes every wanted ecosystem's name contains (`Ubuntu:24.04`, `Ubuntu:Pro:24.04`): a record without any
        // of them is not decoded.
        let needles = Set(versions.values).flatMap { [Array("Ubuntu:\($0)".utf8), Array("Ubuntu:Pro:\($0)".utf8)] }
        let errors = path + ".tar-errors"
        unlink(errors)
        defer { unlink(errors) }
        let child: SpawnedChild
        do {
            child = try ProgramSpawner.spawn(
                [tar, "--extract", "--xz", "--to-stdout", "--file", path, "--wildcards", Self.memberPattern], standardOutput: .pipe,
                standardError: .appendingFile(errors))
        } catch {
            throw TrackerFeedError("\(error)")
        }
        guard let output = child.standardOutput else { throw TrackerFeedError("tar started without its output pipe") }
        var finished = false
        defer {
            close(output)
            // A read that failed half-way stops tar rather than leaving it blocked on a full pipe.
            if !finished { _ = child.stop(grace: .seconds(2)) }
        }
        var splitter = JSONDocumentSplitter(maxDocumentBytes: maxRecordBytes)
        let decoder = JSONDecoder()
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        var records = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(output, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                if count < 0 { throw TrackerFeedError("cannot read tar's output: \(String(cString: strerror(errno)))") }
                break
            }
            do {
                try buffer.withUnsafeBytes { bytes in
                    try splitter.feed(UnsafeRawBufferPointer(rebasing: bytes[0..<count])) { document in
                        records += 1
                        guard needles.contains(where: { document.firstRange(of: $0) != nil }) else { return }
                        let record: UbuntuOSVRecord
                        do {
                            record = try decoder.decode(UbuntuOSVRecord.self, from: Data(document))
                        } catch {
                            throw TrackerFeedError("CVE record \(records) of the archive: \(error)")
                        }
                        for entry in record.advisories(in: ecosystems) { try body(entry) }
                    }
                }
            } catch let error as JSONDocumentSplitter.SplitError {
                throw TrackerFeedError("the archive's CVE records: \(error.description)")
            }
        }
        let exit = child.waitForExit()
        finished = true
        guard exit == .exited(0) else {
            let said = (try? String(contentsOfFile: errors, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            throw TrackerFeedError("tar could not read the archive (exit \(exit.code)): \(said.suffix(400))")
        }
        do {
            try splitter.finish()
        } catch {
            throw TrackerFeedError("the archive's CVE records: \(error)")
        }
    }
}
