/// Parsers for the `/proc` files the CPU and SSH detectors read, from bytes.
enum ProcStat {
    /// The machine-wide tick counters of `/proc/stat`.
    struct CPUTicks: Sendable, Equatable {
        /// Ticks spent doing anything but idling or waiting for I/O, summed over all CPUs.
        var busy: UInt64
        /// All ticks, summed over all CPUs.
        var total: UInt64
        /// The number of `cpuN` lines.
        var cpuCount: Int
    }

    /// One process's line in `/proc/<pid>/stat`.
    struct ProcessTicks: Sendable, Equatable {
        /// `comm`, the executable name (at most 15 bytes, may contain spaces and parentheses).
        var name: String
        /// Field 3, one letter: R, S, D, Z (zombie), X (dead), T…
        var state: Character
        /// Field 4: the parent's pid.
        var parentPID: Int32
        /// utime + stime, in clock ticks.
        var ticks: UInt64
        /// Field 22: start time in clock ticks after boot; with the pid, names one process for good.
        var startTime: UInt64
    }

    /// Parses `/proc/stat`: the aggregate `cpu` line (user nice system idle iowait irq softirq steal; guest time is
    /// already inside user and nice) and the count of per-CPU lines.
    static func cpuTicks(_ bytes: UnsafeBufferPointer<UInt8>) -> CPUTicks? {
        guard bytes.count > 4, bytes.matches(Array(ascii: "cpu "), at: 0) else { return nil }
        var values: [UInt64] = []
        var index = 4
        let lineEnd = bytes.index(of: UInt8(ascii: "\n"), from: 0) ?? bytes.count
        while index < lineEnd, values.count < 8 {
            while index < lineEnd, bytes[index] == UInt8(ascii: " ") { index += 1 }
            let end = bytes.endOfDigits(from: index)
            guard end > index, let value = bytes.decimal(index..<end) else { break }
            values.append(UInt64(value))
            index = end
        }
        guard values.count >= 4 else { return nil }
        let idle = values[3] + (values.count > 4 ? values[4] : 0)
        let total = values.reduce(0, +)
        var cpus = 0
        var lineStart = lineEnd + 1
        while lineStart + 3 < bytes.count, bytes.matches(Array(ascii: "cpu"), at: lineStart) {
            if bytes[lineStart + 3] &- 0x30 < 10 { cpus += 1 }
            lineStart = (bytes.index(of: UInt8(ascii: "\n"), from: lineStart) ?? bytes.count) + 1
        }
        return CPUTicks(busy: total - idle, total: total, cpuCount: max(cpus, 1))
    }

    /// Parses `/proc/<pid>/stat`. The name is between the first `(` and the *last* `)`: a process can name itself
    /// `a) R 1 2` to confuse naive parsers.
    static func processTicks(_ bytes: UnsafeBufferPointer<UInt8>) -> ProcessTicks? {
        guard let open = bytes.index(of: UInt8(ascii: "("), from: 0),
            let close = bytes.lastIndex(of: UInt8(ascii: ")"), in: open..<bytes.count)
        else { return nil }
        // Fields after the name, numbered as in proc(5): 3 is the state.
        var field = 3
        var index = close + 2
        var state: Character?
        var parent: Int64?
        var utime: UInt64?
        var stime: UInt64?
        var startTime: UInt64?
        while index < bytes.count, field <= 22 {
            let end = bytes.index(of: UInt8(ascii: " "), from: index) ?? bytes.endIgnoringNewline
            switch field {
            case 3: state = end == index + 1 ? Character(Unicode.Scalar(bytes[index])) : nil
            case 4: parent = bytes.decimal(index..<end)
            case 14: utime = bytes.decimal(index..<end).map { UInt64($0) }
            case 15: stime = bytes.decimal(index..<end).map { UInt64($0) }
            case 22: startTime = bytes.decimal(index..<end).map { UInt64($0) }
            default: break
            }
            field += 1
            index = end + 1
        }
        guard let state, let parent, let utime, let stime, let startTime else { return nil }
        return ProcessTicks(
            name: bytes.string(open + 1..<close), state: state, parentPID: Int32(clamping: parent), ticks: utime + stime, startTime: startTime)
    }

    /// The real uid from `/proc/<pid>/status` (`Uid:\t<real>\t<effective>…`).
    static func realUID(status bytes: UnsafeBufferPointer<UInt8>) -> UInt32? {
        let key = [UInt8](ascii: "\nUid:")
        guard let at = bytes.index(of: key, from: 0) else { return nil }
        var index = at + key.count
        while index < bytes.count, bytes[index] == UInt8(ascii: "\t") || bytes[index] == UInt8(ascii: " ") { index += 1 }
        return bytes.decimal(index..<bytes.endOfDigits(from: index)).map { UInt32(clamping: $0) }
    }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// The count without a trailing `\n`.
    var endIgnoringNewline: Int {
        count > 0 && self[count - 1] == UInt8(ascii: "\n") ? count - 1 : count
    }
}
