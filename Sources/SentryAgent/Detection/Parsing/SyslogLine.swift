/// The header of one syslog line, located in place: `<time> <host> <program>[<pid>]: <message>`.
///
/// Reads the formats sshd's lines reach files in: traditional (`Nov 22 02:51:07 web sshd[812]: …`, RHEL's
/// `/var/log/secure` and Debian before 12), RFC 3339 (`2025-11-22T02:51:07.123456+01:00 web sshd[812]: …`, Debian 12
/// rsyslog), and sshd's own `-E` log file, which has no header at all (the whole line is the message, CR LF ended).
struct SyslogLine {
    /// Unix seconds from the header; nil for headerless lines.
    var time: Int64?
    /// The program name (`sshd`, `sshd-session`), empty for headerless lines.
    var program: Range<Int>
    var pid: Int32?
    /// The message, without a trailing `\r`.
    var message: Range<Int>

    /// Whether the program name is one that OpenSSH's server logs under.
    func isSSHServer(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if program.isEmpty { return true }
        return Self.sshPrograms.contains { $0.count == program.count && bytes.matches($0, at: program.lowerBound) }
    }

    private static let sshPrograms: [[UInt8]] = [Array(ascii: "sshd"), Array(ascii: "sshd-session"), Array(ascii: "sshd-auth")]

    /// Locates the header in `bytes`. `reference` and `utcOffset` place year-less traditional timestamps.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, reference: Int64, utcOffset: Int64) -> SyslogLine {
        let end = bytes.endIgnoringCarriageReturn
        let headerless = SyslogLine(time: nil, program: 0..<0, pid: nil, message: 0..<end)
        var index: Int
        let time: Int64
        if let (seconds, after) = LogTimestamp.rfc3339(bytes, at: 0) {
            time = seconds
            index = after
        } else if let seconds = LogTimestamp.syslogTraditional(bytes, at: 0, reference: reference, utcOffset: utcOffset) {
            time = seconds
            index = 15
        } else {
            return headerless
        }
        guard index < end, bytes[index] == UInt8(ascii: " ") else { return headerless }
        // Host name.
        guard let hostEnd = bytes.index(of: UInt8(ascii: " "), from: index + 1), hostEnd < end else { return headerless }
        index = hostEnd + 1
        // Program, then an optional [pid], then ": ".
        let programStart = index
        while index < end, bytes[index] != UInt8(ascii: "["), bytes[index] != UInt8(ascii: ":"), bytes[index] != UInt8(ascii: " ") {
            index += 1
        }
        let program = programStart..<index
        var pid: Int32?
        if index < end, bytes[index] == UInt8(ascii: "[") {
            let digitsEnd = bytes.endOfDigits(from: index + 1)
            guard digitsEnd < end, bytes[digitsEnd] == UInt8(ascii: "]"), let value = bytes.decimal(index + 1..<digitsEnd) else {
                return headerless
            }
            pid = Int32(clamping: value)
            index = digitsEnd + 1
        }
        guard index < end, bytes[index] == UInt8(ascii: ":") else { return headerless }
        index += 1
        if index < end, bytes[index] == UInt8(ascii: " ") { index += 1 }
        return SyslogLine(time: time, program: program, pid: pid, message: index..<end)
    }
}
