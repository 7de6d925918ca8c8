import FuzzSupport

@testable import SentryAgent

// Fuzzes the nginx access-log path a client writes into: `NginxLogFormat` locating the fields, then the 404 detector
// (address, `$time_local`, path) fed line after line, so windows and alerts are reached too.
//
// Input: byte 0 picks the format — `combined`, one of two custom `log_format`s, or (mode 3) the first line of the
// input is itself the format (refused formats end the run: that check is config time). The rest is log lines.
//
// Properties: never crash; every located field lies within the line, `$status` is three digits, `$time_local` 26
// bytes, `$remote_addr` has no space.

private let formats: [NginxLogFormat] = [
    .combined,
    // The variables in another order, a client-controlled value ahead of them, and no quotes around the request.
    NginxLogFormat(#"$http_x_forwarded_for $remote_addr [$time_local] $status $request ($request_time)"#)!,
    NginxLogFormat(#"$time_local|$status|$remote_addr|"$request"|$http_user_agent"#)!,
]

@main
enum FuzzNginxMain {
    static func main() { runFuzzer(fuzzOneInput) }
}

private func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = inputBytes(data, size)
    guard let selector = input.first else { return 0 }
    var lines = split(input.dropFirst(), at: UInt8(ascii: "\n"))[...]
    let format: NginxLogFormat
    if selector % 4 == 3 {
        guard let text = lines.popFirst(), let custom = NginxLogFormat(String(decoding: text, as: UTF8.self)) else { return 0 }
        format = custom
    } else {
        format = formats[Int(selector % 4) % formats.count]
    }
    var detector = HTTP404Detector(configuration: .init(warningCount: 2, criticalCount: 3), format: format)
    for line in lines {
        Array(line).withUnsafeBufferPointer { buffer in
            check(format.locate(buffer), in: buffer)
            _ = detector.process(buffer, origin: nil)
        }
    }
    return 0
}

private func check(_ fields: NginxLogFormat.Fields?, in line: UnsafeBufferPointer<UInt8>) {
    guard let fields else { return }
    for range in [fields.remoteAddress, fields.status, fields.request, fields.timeLocal] {
        require(range.lowerBound >= 0 && range.upperBound <= line.count, "a field \(range) outside a line of \(line.count) bytes")
    }
    require(fields.status.count == 3 && line[fields.status].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }, "status is not three digits")
    require(fields.timeLocal.count == 26, "time_local is \(fields.timeLocal.count) bytes")
    require(!fields.remoteAddress.isEmpty && !line[fields.remoteAddress].contains(0x20), "remote_addr is empty or has a space")
}
