import ArgumentParser
import Shared

/// Parse cost of request heads of 1 KiB and 8 KiB, and of refusing a 1 MiB header line.
///
/// Baseline: one plain pass over the same bytes looking for CRLF CRLF, the least any parser must do. A linear parser
/// keeps the same ratio to it at both sizes, and its cost per byte stays flat.
struct HTTPParseBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "http-parse", abstract: "Request head parsing at 1 KiB and 8 KiB, vs a byte scan.")

    @Option(help: "Parses per round.")
    var iterations = 20_000

    func run() throws {
        print("size      parse ns  scan ns  ratio  parse ns/byte")
        for size in [1024, 8 * 1024 - 4] {
            let head = Self.head(totalBytes: size)
            let parse = nanosecondsPerRun(iterations: iterations) {
                var accumulator = HeadAccumulator(maxHeadBytes: 8 * 1024)
                guard let (bytes, _) = try? accumulator.append(head),
                    let parsed = try? HTTPHeadParser.parseRequest(bytes, maxHeaderCount: 64)
                else { return }
                blackHole(parsed)
            }
            // A start offset that changes every run (0 or 1, same cost) keeps the optimizer from hoisting the scan.
            var run = 0
            let scan = nanosecondsPerRun(iterations: iterations) {
                run &+= 1
                blackHole(Self.scanForTerminator(head, from: run & 1))
            }
            let line = [
                String(head.count).padding(toLength: 10, withPad: " ", startingAt: 0),
                String(Int(parse)).padding(toLength: 10, withPad: " ", startingAt: 0),
                String(Int(scan)).padding(toLength: 9, withPad: " ", startingAt: 0),
                String(format: "%.1f", parse / scan).padding(toLength: 7, withPad: " ", startingAt: 0),
                String(format: "%.2f", parse / Double(head.count)),
            ]
            print(line.joined())
        }
        // A 1 MiB header line arriving in 4 KiB reads: refused once the 8 KiB cap is crossed, whatever follows.
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 4096)
        let refuse = nanosecondsPerRun(iterations: iterations / 10) {
            var accumulator = HeadAccumulator(maxHeadBytes: 8 * 1024)
            _ = try? accumulator.append(Array("GET / HTTP/1.1\r\nX-Big: ".utf8))
            for _ in 0..<256 {
                do {
                    _ = try accumulator.append(chunk)
                } catch {
                    return
                }
            }
        }
        print("1 MiB header line refused (431) after the cap in \(Int(refuse)) ns")
    }

    /// A request head of exactly `totalBytes` including the blank line, padded with ordinary headers.
    static func head(totalBytes: Int) -> [UInt8] {
        var text = "POST /alert HTTP/1.1\r\nHost: hub.example:7070\r\nContent-Type: application/octet-stream\r\n"
        text += "X-Vigil-Agent: web-1\r\nX-Vigil-Timestamp: 1800000000\r\nX-Vigil-Nonce: AAECAwQFBgcICQoL\r\n"
        var index = 0
        while text.utf8.count + 4 < totalBytes {
            let room = totalBytes - text.utf8.count - 4 - "X-Pad-00: \r\n".utf8.count
            let value = String(repeating: "v", count: max(0, min(200, room)))
            text += "X-Pad-\(index % 100 < 10 ? "0" : "")\(index % 100): \(value)\r\n"
            index += 1
        }
        return Array((text + "\r\n").utf8)
    }

    @inline(never)
    static func scanForTerminator(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start
        while index + 3 < bytes.count {
            if bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13, bytes[index + 3] == 10 { return index }
            index += 1
        }
        return -1
    }
}
