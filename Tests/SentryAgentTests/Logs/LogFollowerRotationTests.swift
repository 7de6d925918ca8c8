import Foundation
import Testing
import VigilTestSupport

@testable import SentryAgent

/// Each test runs a writer concurrently with a follower on its own thread, rotates the file the way real systems
/// do, then counts every line written against every line handed to the consumer: 0 lost, 0 duplicated.
@Suite("LogFollower across rotations, with a concurrent writer", .serialized, .system)
struct LogFollowerRotationTests {
    /// Writes `rounds` × `linesPerRound` lines with a small pause between lines, calling `rotate` between rounds.
    static func write(
        to path: String, rounds: Int, linesPerRound: Int, follower: RunningFollower, rotate: @escaping @Sendable (LogWriter, Int) -> Void
    ) async -> [String] {
        let written = LineLog()
        await onThread {
            let writer = LogWriter(path: path)
            for round in 0..<rounds {
                for index in 0..<linesPerRound {
                    writer.appendLine()
                    if index % 7 == 0 { pause(microseconds: 300) }
                }
                if round < rounds - 1 { rotate(writer, round) }
            }
            for line in writer.written { written.append(line) }
        }
        return written.lines
    }

    @Test("a rename rotation loses no line, even lines the writer adds to the renamed file before it reopens")
    func renameRotation() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("access.log")
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let follower = await RunningFollower.start(paths: [path])
        let written = await Self.write(to: path, rounds: 5, linesPerRound: 600, follower: follower) { writer, round in
            writer.renameAway(suffix: ".\(round + 1)")
            // A writer that has not been told to reopen keeps writing to the renamed file for a moment.
            for _ in 0..<25 { writer.appendLine() }
            pause(microseconds: 20_000)
            writer.reopen()
        }
        await follower.log.wait(forCount: written.count)
        let statistics = await follower.finish()
        let accounting = LineAccounting(written: written, received: follower.log.lines)
        #expect(accounting.lost.isEmpty && accounting.duplicated.isEmpty, "\(accounting)")
        #expect(statistics?.rotations == 4)
    }

    @Test("a copytruncate rotation loses no line: what was not read before the truncation is read from the copy")
    func copyTruncate() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("app.log")
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let follower = await RunningFollower.start(paths: [path])
        let written = await Self.write(to: path, rounds: 5, linesPerRound: 600, follower: follower) { writer, round in
            // A burst right before the copy, so some lines are only in the copy when the truncation is noticed.
            writer.appendBlock(40)
            writer.copyTruncate(suffix: ".\(round + 1)")
        }
        await follower.log.wait(forCount: written.count)
        let statistics = await follower.finish()
        let accounting = LineAccounting(written: written, received: follower.log.lines)
        #expect(accounting.lost.isEmpty && accounting.duplicated.isEmpty, "\(accounting)")
        #expect(statistics?.truncations == 4)
    }

    @Test("a truncation followed at once by more bytes than were read is noticed (size or first bytes) and read from 0")
    func truncateAndRegrow() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("regrow.log")
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let follower = await RunningFollower.start(paths: [path])
        let log = follower.log
        let written = await Self.write(to: path, rounds: 4, linesPerRound: 300, follower: follower) { writer, _ in
            // Only lines the follower has read can be lost to a truncation without a copy: wait for it first.
            let deadline = ContinuousClock.now + .seconds(10)
            while log.count < writer.written.count, ContinuousClock.now < deadline { pause(microseconds: 2000) }
            writer.truncateAndRegrow(400)
        }
        await follower.log.wait(forCount: written.count)
        let statistics = await follower.finish()
        let accounting = LineAccounting(written: written, received: follower.log.lines)
        #expect(accounting.lost.isEmpty && accounting.duplicated.isEmpty, "\(accounting)")
        #expect(statistics?.truncations == 3)
    }

    @Test("delete and recreate loses no line, including lines written to the deleted file before the writer reopens")
    func deleteAndRecreate() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("deleted.log")
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let follower = await RunningFollower.start(paths: [path])
        let written = await Self.write(to: path, rounds: 4, linesPerRound: 500, follower: follower) { writer, _ in
            writer.delete()
            for _ in 0..<20 { writer.appendLine() }
            pause(microseconds: 50_000)
            writer.reopen()
        }
        await follower.log.wait(forCount: written.count)
        let statistics = await follower.finish()
        let accounting = LineAccounting(written: written, received: follower.log.lines)
        #expect(accounting.lost.isEmpty && accounting.duplicated.isEmpty, "\(accounting)")
        #expect(statistics?.rotations == 3)
    }

    @Test("a symlinked path is followed to its target, and across a rotation of the target")
    func symlinkedPath() async throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.file("real"), withIntermediateDirectories: true)
        let target = directory.file("real/current.log")
        let link = directory.file("current.log")
        _ = FileManager.default.createFile(atPath: target, contents: nil)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let follower = await RunningFollower.start(paths: [link])
        let written = await Self.write(to: target, rounds: 3, linesPerRound: 400, follower: follower) { writer, round in
            writer.renameAway(suffix: ".\(round + 1)")
            writer.reopen()
        }
        await follower.log.wait(forCount: written.count)
        _ = await follower.finish()
        let accounting = LineAccounting(written: written, received: follower.log.lines)
        #expect(accounting.lost.isEmpty && accounting.duplicated.isEmpty, "\(accounting)")
    }

    @Test("a file created after the follower started is read from its first byte, even in a directory created later")
    func lateCreation() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("later/created.log")
        // `start` returns after the follower's first look, which found neither the file nor its directory.
        let follower = await RunningFollower.start(paths: [path])
        try FileManager.default.createDirectory(atPath: directory.file("later"), withIntermediateDirectories: true)
        let written = await Self.write(to: path, rounds: 1, linesPerRound: 300, follower: follower) { _, _ in }
        await follower.log.wait(forCount: written.count)
        _ = await follower.finish()
        let accounting = LineAccounting(written: written, received: follower.log.lines)
        #expect(accounting.lost.isEmpty && accounting.duplicated.isEmpty, "\(accounting)")
    }

    @Test("without inotify, polling alone loses nothing across rename rotations further apart than the poll interval")
    func pollingFallback() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("polled.log")
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        var options = LogFollowerOptions.test
        options.useInotify = false
        options.pollInterval = .milliseconds(100)
        let follower = await RunningFollower.start(paths: [path], options: options)
        let written = await Self.write(to: path, rounds: 3, linesPerRound: 300, follower: follower) { writer, round in
            writer.renameAway(suffix: ".\(round + 1)")
            writer.reopen()
            // A generation that lives less than one poll interval is never seen without inotify: the documented limit.
            pause(microseconds: 250_000)
        }
        await follower.log.wait(forCount: written.count)
        _ = await follower.finish()
        let accounting = LineAccounting(written: written, received: follower.log.lines)
        #expect(accounting.lost.isEmpty && accounting.duplicated.isEmpty, "\(accounting)")
    }
}
