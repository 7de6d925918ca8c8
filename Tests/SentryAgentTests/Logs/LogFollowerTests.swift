import Foundation
import Logging
import Testing
import VigilTestSupport

@testable import SentryAgent

/// The follower stepped by hand (no thread): what it emits, what it saves, and how it resumes.
@Suite("LogFollower lines and restarts", .serialized, .system)
struct LogFollowerTests {
    static func follower(
        _ paths: [String], store: any FollowerStateStore = MemoryFollowerStateStore(), options: LogFollowerOptions = .test
    ) -> (LogFollower<RecordingConsumer>, LineLog) {
        let log = LineLog()
        let follower = LogFollower(paths: paths, options: options, store: store, consumer: RecordingConsumer(log: log), logger: Logger(label: "test"))
        return (follower, log)
    }

    static func append(_ text: String, to path: String) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }

    static func append(bytes: [UInt8], to path: String) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        defer { close(descriptor) }
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }

    @Test("a partial last line waits for its end, then comes out whole")
    func partialLineWaits() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("partial.log")
        Self.append("first\nsec", to: path)
        let (follower, log) = Self.follower([path])
        follower.start()
        #expect(log.lines == ["first"])
        Self.append("ond half", to: path)
        follower.pumpAll()
        #expect(log.lines == ["first"])
        Self.append("\nthird\n", to: path)
        follower.pumpAll()
        #expect(log.lines == ["first", "second half", "third"])
    }

    @Test("a line over 16 KiB is cut to 16 KiB and counted, and the lines around it come through")
    func longLineSkipped() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("long.log")
        var options = LogFollowerOptions.test
        options.maxLineBytes = 16_384
        let (follower, log) = Self.follower([path], options: options)
        Self.append("before\n", to: path)
        follower.start()
        // Written in pieces, so the follower sees the long line grow across reads.
        Self.append(String(repeating: "x", count: 10_000), to: path)
        follower.pumpAll()
        Self.append(String(repeating: "y", count: 10_000) + "\nafter\n", to: path)
        follower.pumpAll()
        Self.append(String(repeating: "z", count: 16_384) + "\n" + String(repeating: "w", count: 16_385) + "\nlast\n", to: path)
        follower.pumpAll()
        let cut = String(repeating: "x", count: 10_000) + String(repeating: "y", count: 6_384)
        #expect(log.lines == ["before", cut, "after", String(repeating: "z", count: 16_384), String(repeating: "w", count: 16_384), "last"])
        #expect(follower.statistics.truncatedLongLines == 2)
    }

    @Test("a restart inside an over-long line reads it again from its start: it comes out once, cut, and the next line once")
    func restartInsideOverLongLine() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("long-restart.log")
        let store = MemoryFollowerStateStore()
        var options = LogFollowerOptions.test
        options.maxLineBytes = 1024
        Self.append("first\n" + String(repeating: "a", count: 3000), to: path)
        do {
            let (follower, log) = Self.follower([path], store: store, options: options)
            follower.start()
            follower.pumpAll()
            #expect(log.lines == ["first"])
            // Saved just past "first\n": the over-long line has not ended, so nothing of it is committed.
            #expect(store.saved?.files[path]?.current?.offset == 6)
        }
        Self.append(String(repeating: "b", count: 3000) + "\nnext\n", to: path)
        let (second, log) = Self.follower([path], store: store, options: options)
        second.start()
        second.pumpAll()
        #expect(log.lines == [String(repeating: "a", count: 1024), "next"])
        #expect(second.statistics.truncatedLongLines == 1)
        #expect(store.saved?.files[path]?.current?.offset == Int64(6 + 6000 + 1 + 5))
    }

    @Test("invalid UTF-8 and NUL bytes are data: the line comes through byte for byte")
    func binaryBytesAreData() throws {
        struct ByteConsumer: LineConsumer {
            var lines: [[UInt8]] = []
            mutating func consume(_ line: UnsafeBufferPointer<UInt8>, origin: LineOrigin) { lines.append(Array(line)) }
        }
        let directory = try TemporaryDirectory()
        let path = directory.file("binary.log")
        let line: [UInt8] = [0x41, 0x00, 0xFF, 0xFE, 0xC3, 0x28, 0x00, 0x42]
        Self.append(bytes: line + [0x0A] + Array("ok\n".utf8), to: path)
        let store = MemoryFollowerStateStore()
        let follower = LogFollower(paths: [path], options: .test, store: store, consumer: ByteConsumer(), logger: Logger(label: "t"))
        follower.start()
        #expect(follower.consumer.lines == [line, Array("ok".utf8)])
        #expect(store.saved?.files[path]?.current?.offset == Int64(line.count + 1 + 3))
    }

    @Test("a file that existed before the first start is followed from its end; later lines come through")
    func startsAtEndOnFirstSight() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("old.log")
        Self.append("old 1\nold 2\nhalf-writ", to: path)
        var options = LogFollowerOptions.test
        options.startAtEnd = true
        let (follower, log) = Self.follower([path], options: options)
        follower.start()
        Self.append("ten\nnew\n", to: path)
        follower.pumpAll()
        #expect(log.lines == ["half-written", "new"])
    }

    @Test("a restart resumes at the saved offset: nothing lost, nothing read twice (follower dropped without shutdown)")
    func restartResumesExactly() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("resume.log")
        let store = FileFollowerStateStore(stateDirectory: directory.file("state"), source: "test")
        let writer = LogWriter(path: path)
        writer.appendBlock(100)
        var received: [String] = []
        do {
            let (follower, log) = Self.follower([path], store: store)
            follower.start()
            writer.appendBlock(50)
            follower.pumpAll()
            received += log.lines
            // The follower is abandoned here: no stop, no final save. Lines written now arrive while it is "down".
        }
        writer.appendBlock(70)
        writer.write(raw: "partial-without-end")
        let (second, log) = Self.follower([path], store: FileFollowerStateStore(path: store.path))
        second.start()
        received += log.lines
        let accounting = LineAccounting(written: writer.written, received: received)
        #expect(accounting.lost.isEmpty && accounting.duplicated.isEmpty, "\(accounting)")
    }

    @Test("a rename rotation while the agent was down: the rest of the old file is read from the rotated copy first")
    func rotationWhileDown() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("down.log")
        let store = MemoryFollowerStateStore()
        let writer = LogWriter(path: path)
        writer.appendBlock(30)
        do {
            let (follower, _) = Self.follower([path], store: store)
            follower.start()
        }
        writer.appendBlock(20)
        writer.renameAway()
        writer.reopen()
        writer.appendBlock(25)
        let (second, log) = Self.follower([path], store: store)
        second.start()
        let accounting = LineAccounting(written: Array(writer.written[30...]), received: log.lines)
        #expect(accounting.lost.isEmpty && accounting.duplicated.isEmpty, "\(accounting)")
    }

    @Test("truncated and regrown past the saved offset while down: the changed first bytes restart it from 0")
    func regrownWhileDown() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("regrown.log")
        let store = MemoryFollowerStateStore()
        let writer = LogWriter(path: path)
        writer.appendBlock(10)
        do {
            let (follower, _) = Self.follower([path], store: store)
            follower.start()
        }
        let savedOffset = try #require(store.saved?.files[path]?.current?.offset)
        writer.truncateAndRegrow(40)
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        #expect(Int64(size) > savedOffset)
        let (second, log) = Self.follower([path], store: store)
        second.start()
        #expect(log.lines == Array(writer.written[10...]))
    }

    @Test("truncated and regrown while followed: the fingerprint check notices it even though the size grew")
    func regrownWhileFollowed() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("regrown-live.log")
        let writer = LogWriter(path: path)
        writer.appendBlock(10)
        let (follower, log) = Self.follower([path])
        follower.start()
        writer.truncateAndRegrow(40)
        follower.pumpAll()
        #expect(log.lines == writer.written)
        #expect(follower.statistics.truncations == 1)
    }

    @Test("copytruncate while down: the lines after the saved offset are read from the copy, then the new content")
    func copyTruncateWhileDown() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("ct.log")
        let store = MemoryFollowerStateStore()
        let writer = LogWriter(path: path)
        writer.appendBlock(12)
        do {
            let (follower, _) = Self.follower([path], store: store)
            follower.start()
        }
        writer.appendBlock(8)
        writer.copyTruncate()
        writer.appendBlock(5)
        let (second, log) = Self.follower([path], store: store)
        second.start()
        #expect(log.lines == Array(writer.written[12...]))
    }

    @Test("the checkpoint is written after each batch with inode, offset and fingerprint, and survives a new store")
    func checkpointContents() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("cp.log")
        let store = FileFollowerStateStore(stateDirectory: directory.path, source: "cp")
        Self.append("one\ntwo\nthr", to: path)
        let (follower, _) = Self.follower([path], store: store)
        follower.start()
        let saved = try #require(FileFollowerStateStore(path: store.path).load()?.files[path]?.current)
        var status = stat()
        stat(path, &status)
        #expect(saved.inode == UInt64(status.st_ino))
        #expect(saved.offset == 8)
        #expect(saved.fingerprint == Array("one\ntwo\nthr".utf8).withUnsafeBufferPointer { FileFingerprint(prefix: $0) })
    }
}
