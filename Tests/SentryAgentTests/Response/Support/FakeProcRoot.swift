import Foundation
import VigilTestSupport

/// A directory laid out like `/proc` with a `stat` file per pid, for session-kill tests that need no real process.
struct FakeProcRoot {
    let path: String

    /// `processes`: pid → (comm, state, start time).
    static func make(_ processes: [Int32: (String, String, UInt64)]) throws -> FakeProcRoot {
        let root = FakeProcRoot(path: NSTemporaryDirectory() + "vigil-proc-\(UUID().uuidString.prefix(8))")
        for (pid, (command, state, start)) in processes {
            try root.write(pid: pid, command: command, state: state, startTime: start)
        }
        return root
    }

    /// Writes a stat line shaped like the kernel's: 52 fields, start time in field 22.
    func write(pid: Int32, command: String, state: String, startTime: UInt64) throws {
        try FileManager.default.createDirectory(atPath: "\(path)/\(pid)", withIntermediateDirectories: true)
        var fields = (4...52).map { _ in "0" }
        fields[22 - 4] = String(startTime)
        let line = "\(pid) (\(command)) \(state) " + fields.joined(separator: " ") + "\n"
        try line.write(toFile: "\(path)/\(pid)/stat", atomically: true, encoding: .utf8)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
