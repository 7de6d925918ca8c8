import FoundationEssentials

/// Reads process identity from `/proc`: the short command name and the start time, the pair that tells a session
/// process from a later process that reused its pid. The root is injectable so tests can serve a fake `/proc`.
struct ProcessTable: Sendable {
    var root = "/proc"

    /// What `/proc/<pid>/stat` says about a process.
    struct Status: Sendable, Equatable {
        /// `comm`, at most 15 bytes (the kernel truncates longer names).
        var command: String
        /// One letter: R, S, D, Z (zombie), X (dead), T…
        var state: Character
        /// Field 22: clock ticks after boot when the process started.
        var startTime: UInt64

        /// Exited (a zombie waiting for its parent, or dead): nothing left to kill.
        var hasExited: Bool { state == "Z" || state == "X" }
    }

    /// The status of `pid`, or nil when there is no such process (or its stat cannot be read).
    func status(of pid: Int32) -> Status? {
        guard let data = FileManager.default.contents(atPath: "\(root)/\(pid)/stat") else { return nil }
        return Self.parseStat(String(decoding: data, as: UTF8.self))
    }

    /// Parses a stat line. The command sits in parentheses and may itself contain spaces and parentheses, so the
    /// fields are counted from the last `)`.
    static func parseStat(_ text: String) -> Status? {
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"), open < close else { return nil }
        let command = String(text[text.index(after: open)..<close])
        let fields = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // fields[0] is field 3 (state); start time is field 22.
        guard fields.count > 19, let state = fields[0].first, fields[0].count == 1, let start = UInt64(fields[19]) else { return nil }
        return Status(command: command, state: state, startTime: start)
    }
}
