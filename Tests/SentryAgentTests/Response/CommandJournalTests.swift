import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

@Suite("Command journal")
struct CommandJournalTests {
    @Test("results survive reopening; a torn last line is skipped")
    func reopen() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/responses.journal"
        let command = ResponseCommand.make(.reboot)
        let result = ResponseResult(commandId: command.id, outcome: .done, detail: "x", finishedAt: Date(timeIntervalSince1970: 1_700_000_000))
        do {
            let journal = try CommandJournal(path: path)
            try journal.recordStarted(command)
            try journal.recordFinished(command, result: result)
        }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"id\":\"trunc".utf8))
        try handle.close()
        let reopened = try CommandJournal(path: path)
        #expect(reopened.entry(for: command.id)?.result == result)
        #expect(reopened.count == 1)
    }

    @Test("entries expired for more than a day are dropped and the file compacted")
    func prunes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/responses.journal"
        let old = ResponseCommand.make(.reboot, issuedAt: Date().addingTimeInterval(-3 * 86_400))
        let fresh = ResponseCommand.make(.shutdown)
        do {
            let journal = try CommandJournal(path: path)
            try journal.recordStarted(old)
            try journal.recordStarted(fresh)
        }
        let reopened = try CommandJournal(path: path)
        #expect(reopened.entry(for: old.id) == nil)
        #expect(reopened.entry(for: fresh.id) != nil)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test("an unwritable state directory is an error, not a silent loss of idempotency")
    func unwritable() {
        #expect(throws: CommandJournal.Failure.self) { try CommandJournal(path: "/nonexistent-vigil-dir/responses.journal") }
    }
}
