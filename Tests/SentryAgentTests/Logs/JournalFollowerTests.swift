import Foundation
import Logging
import Testing
import VigilTestSupport

@testable import SentryAgent

/// The journald source against a stand-in `journalctl` (a shell script that honours `--after-cursor` and then
/// waits like `--follow`): the real journald is not running on the build machine, see the README.
@Suite("Journald source", .serialized, .system)
struct JournalFollowerTests {
    struct RecordingJournalConsumer: JournalEntryConsumer {
        let log: LineLog

        mutating func consume(_ entry: JournalEntry, origin: LineOrigin) {
            log.append(String(decoding: entry.message, as: UTF8.self))
        }

        mutating func flush() -> Int64? { nil }
    }

    static func entry(_ index: Int) -> String {
        #"{"__CURSOR":"c\#(index)","__REALTIME_TIMESTAMP":"1763776263\#(index)00000","_PID":"\#(100 + index)","_COMM":"sshd","MESSAGE":"Accepted publickey for u\#(index) from 192.0.2.\#(index) port 22 ssh2"}"#
    }

    /// Writes the fake journalctl; it logs its arguments to `args` and prints `entries` after the given cursor.
    static func fakeJournalctl(in directory: TemporaryDirectory) throws -> String {
        let script = directory.file("journalctl")
        try """
        #!/bin/sh
        echo "$@" >> \(directory.file("args"))
        after=""
        for argument in "$@"; do
          case "$argument" in --after-cursor=*) after="${argument#--after-cursor=}";; esac
        done
        print=0
        [ -z "$after" ] && print=1
        while IFS= read -r line; do
          [ "$print" = 1 ] && echo "$line"
          case "$line" in *"\\"__CURSOR\\":\\"$after\\""*) print=1;; esac
        done < \(directory.file("entries"))
        exec sleep 30
        """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        return script
    }

    /// Follows until `count` entries arrived and `settled` holds (the completion signal: the cursor saved, or
    /// journalctl started again), then stops the follower and returns what it handed over.
    static func run(
        journalctl: String, store: FileFollowerStateStore, expecting count: Int, settled: () -> Bool
    ) async throws -> [String] {
        let log = LineLog()
        let stop = FollowerStopSignal()
        let path = store.path
        let task = Task {
            await FollowerThread.run(name: "test-journal") {
                let follower = JournalFollower(
                    journalctl: journalctl, matches: JournalFollower<RecordingJournalConsumer>.sshMatches, startAtEnd: false,
                    pollInterval: .milliseconds(200), store: FileFollowerStateStore(path: path), consumer: RecordingJournalConsumer(log: log),
                    logger: Logger(label: "test"))
                follower.run(stop: stop)
            }
        }
        do {
            try await waitUntil("\(count) entries, then the follower settled") { log.count >= count && settled() }
        } catch {
            stop.stop()
            await task.value
            throw error
        }
        stop.stop()
        await task.value
        return log.lines
    }

    @Test("entries are read with the sshd matches, the cursor is saved, and a restart resumes after it")
    func cursorResume() async throws {
        let directory = try TemporaryDirectory("vigil-journal")
        let journalctl = try Self.fakeJournalctl(in: directory)
        try ((1...3).map(Self.entry).joined(separator: "\n") + "\n").write(toFile: directory.file("entries"), atomically: true, encoding: .utf8)
        let store = FileFollowerStateStore(stateDirectory: directory.path, source: "ssh-journal")
        let first = try await Self.run(journalctl: journalctl, store: store, expecting: 3) { store.load()?.journalCursor == "c3" }
        #expect(first == (1...3).map { "Accepted publickey for u\($0) from 192.0.2.\($0) port 22 ssh2" })
        #expect(store.load()?.journalCursor == "c3")

        try ((1...5).map(Self.entry).joined(separator: "\n") + "\n").write(toFile: directory.file("entries"), atomically: true, encoding: .utf8)
        let second = try await Self.run(journalctl: journalctl, store: store, expecting: 2) { store.load()?.journalCursor == "c5" }
        #expect(second == (4...5).map { "Accepted publickey for u\($0) from 192.0.2.\($0) port 22 ssh2" })
        #expect(store.load()?.journalCursor == "c5")

        let arguments = String(decoding: FileManager.default.contents(atPath: directory.file("args")) ?? Data(), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        #expect(arguments.first == "--follow --output=json --no-pager --no-tail _COMM=sshd _COMM=sshd-session")
        #expect(arguments.last == "--follow --output=json --no-pager --after-cursor=c3 _COMM=sshd _COMM=sshd-session")
    }

    @Test("a journalctl that exits is started again from the saved cursor")
    func restartsExitedJournalctl() async throws {
        let directory = try TemporaryDirectory("vigil-journal-exit")
        let journalctl = try Self.fakeJournalctl(in: directory)
        // This stand-in exits after printing instead of waiting.
        let script = try String(contentsOfFile: journalctl, encoding: .utf8).replacingOccurrences(of: "exec sleep 30", with: "exit 1")
        try script.write(toFile: journalctl, atomically: true, encoding: .utf8)
        chmod(journalctl, 0o755)
        try ((1...2).map(Self.entry).joined(separator: "\n") + "\n").write(toFile: directory.file("entries"), atomically: true, encoding: .utf8)
        let store = FileFollowerStateStore(stateDirectory: directory.path, source: "ssh-journal")
        let arguments = directory.file("args")
        let startCount = {
            String(decoding: FileManager.default.contents(atPath: arguments) ?? Data(), as: UTF8.self).split(separator: "\n").count
        }
        // Settled once journalctl was started a second time (after it exited).
        let lines = try await Self.run(journalctl: journalctl, store: store, expecting: 2) { startCount() >= 2 }
        let starts = String(decoding: FileManager.default.contents(atPath: arguments) ?? Data(), as: UTF8.self)
            .split(separator: "\n")
        #expect(lines.count == 2)
        #expect(starts.count >= 2)
        #expect(starts.dropFirst().allSatisfy { $0.contains("--after-cursor=c2") })
    }
}
