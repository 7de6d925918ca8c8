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

    /// Parses a stat line with the detectors' parser (`ProcStat.processTicks`): one reading of `/proc/<pid>/stat`.
    static func parseStat(_ text: String) -> Status? {
        guard let ticks = Array(text.utf8).withUnsafeBufferPointer(ProcStat.processTicks) else { return nil }
        return Status(command: ticks.name, state: ticks.state, startTime: ticks.startTime)
    }
}
