import FuzzSupport

@testable import SentryAgent

// Fuzzes what a stranger writes into sshd's log (a user name, a key ID): the syslog header (`SyslogLine`), the sshd
// message (`SSHLogMessage`), and the whole path through `SSHLogConsumer` into the session and brute-force detectors,
// as the agent runs it. Input: log lines separated by `\n`.
//
// Properties: never crash; the header's message and every range a parsed message names lie within the line.

/// Detections are only counted: the detectors' own logic is what is exercised.
private struct DiscardingOutlet: DetectionOutlet {
    func deliver(_ detections: [Detection]) {}
}

/// 2025-11-22 12:00 UTC: places year-less syslog times.
private let now: Int64 = 1_763_812_800

@main
enum FuzzSSHMain {
    static func main() { runFuzzer(fuzzOneInput) }
}

private func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var consumer = SSHLogConsumer(
        sessions: SSHSessionDetector(knownLogins: KnownLogins(capacity: 4)),
        bruteForce: SSHBruteForceDetector(configuration: .init(capacity: 2)),
        sessionProcesses: nil, knownLoginStore: nil, outlet: DiscardingOutlet(), wallClock: { now }, utcOffset: 3600)
    for (index, line) in split(inputBytes(data, size)[...], at: UInt8(ascii: "\n")).enumerated() {
        Array(line).withUnsafeBufferPointer { buffer in
            let header = SyslogLine.parse(buffer, reference: now, utcOffset: 3600)
            require(header.message.lowerBound >= 0 && header.message.upperBound <= buffer.count, "message \(header.message) outside the line")
            require(header.program.upperBound <= buffer.count, "program \(header.program) outside the line")
            _ = header.isSSHServer(buffer)
            check(SSHLogMessage.parse(buffer, header.message), within: header.message)
            // Journal entries carry the bare message: the whole line.
            check(SSHLogMessage.parse(buffer, 0..<buffer.count), within: 0..<buffer.count)
            consumer.consume(buffer, origin: LineOrigin(stream: 1, offset: Int64(index)))
        }
    }
    _ = consumer.flush()
    return 0
}

private func check(_ message: SSHLogMessage?, within bounds: Range<Int>) {
    guard let message else { return }
    switch message {
    case .accepted(let method, let user, _, let port):
        require(bounds.encloses(method) && bounds.encloses(user), "accepted: method \(method) or user \(user) outside \(bounds)")
        require((0...65535).contains(port), "port \(port)")
    case .failure(_, let user, _):
        if let user { require(bounds.encloses(user), "failure: user \(user) outside \(bounds)") }
    }
}

extension Range<Int> {
    fileprivate func encloses(_ other: Range<Int>) -> Bool { other.lowerBound >= lowerBound && other.upperBound <= upperBound }
}
