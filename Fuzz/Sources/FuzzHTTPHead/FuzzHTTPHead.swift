import FuzzSupport
import Shared

// Fuzzes what a stranger on the network controls first: the bytes of a connection, read the way `MessageReader` reads
// them (chunks into `HeadAccumulator`, then `HTTPHeadParser`, then the body and any pipelined request after it).
//
// Input: byte 0 picks the chunk size (1–16, so a CRLF CRLF split across reads is exercised); the rest is the stream.
// Beyond "never crash", two properties are checked:
// - the accumulator finds exactly the first CRLF CRLF a plain search finds, and refuses a head only when there is none
//   within its cap (it resumes its scan across chunks, which is where an off-by-one would hide);
// - nothing the parser accepts carries CR, LF or NUL into a method, target, header name or value (smuggling).

private let maxHeadBytes = 256
private let maxHeaderCount = 8
private let maxBodyBytes = 1024

@main
enum FuzzHTTPHeadMain {
    static func main() { runFuzzer(fuzzOneInput) }
}

private func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = inputBytes(data, size)
    guard let selector = input.first else { return 0 }
    let chunkSize = Int(selector % 16) + 1
    let stream = Array(input.dropFirst())
    var connection = Connection(stream: stream, chunkSize: chunkSize)
    // At most as many requests as could fit: each needs at least its 4-byte terminator.
    for _ in 0...(stream.count / 4) {
        guard connection.readMessage() else { break }
    }
    return 0
}

/// One simulated connection: the unread stream, and what `MessageReader` keeps between requests.
private struct Connection {
    var stream: [UInt8]
    let chunkSize: Int
    var position = 0
    var leftover: [UInt8] = []

    mutating func nextChunk() -> [UInt8]? {
        guard position < stream.count else { return nil }
        let end = min(stream.count, position + chunkSize)
        defer { position = end }
        return Array(stream[position..<end])
    }

    /// Reads one message; false when the connection would close (end of input or a refused message).
    mutating func readMessage() -> Bool {
        if leftover.isEmpty {
            guard let first = nextChunk() else { return false }
            leftover = first
        }
        var accumulator = HeadAccumulator(maxHeadBytes: maxHeadBytes, leftover: leftover)
        var buffered = leftover
        leftover = []
        var result: (head: ArraySlice<UInt8>, rest: [UInt8])?
        do throws(HTTPParseError) {
            result = try accumulator.scan()
            while result == nil {
                guard let chunk = nextChunk() else {
                    checkIncomplete(buffered)
                    return false
                }
                buffered += chunk
                result = try accumulator.append(chunk)
            }
        } catch {
            checkRefused(buffered, error)
            return false
        }
        guard let (head, rest) = result else { return false }
        checkFound(buffered, head: head, rest: rest)
        checkParsers(head)
        guard let request = try? HTTPHeadParser.parseRequest(head, maxHeaderCount: maxHeaderCount),
            let length = try? HTTPHeadParser.contentLength(of: request.headers), length <= maxBodyBytes
        else { return false }
        var body = rest
        while body.count < length {
            guard let chunk = nextChunk() else { return false }
            body += chunk
        }
        leftover = Array(body[length...])
        return true
    }

    /// The first CRLF CRLF in `bytes` that ends within `limit` bytes.
    private func terminator(in bytes: [UInt8], limit: Int) -> Int? {
        let end = min(bytes.count, limit)
        guard end >= 4 else { return nil }
        return (0...(end - 4)).first { bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10 }
    }

    private func checkFound(_ buffered: [UInt8], head: ArraySlice<UInt8>, rest: [UInt8]) {
        let expected = terminator(in: buffered, limit: maxHeadBytes + 4)
        require(expected == head.count && head.startIndex == 0, "head ends at \(head.count), first CRLF CRLF at \(String(describing: expected))")
        require(Array(head) + [13, 10, 13, 10] + rest == buffered, "head + terminator + rest is not the bytes read")
    }

    private func checkIncomplete(_ buffered: [UInt8]) {
        require(terminator(in: buffered, limit: buffered.count) == nil, "a complete head was not found")
    }

    private func checkRefused(_ buffered: [UInt8], _ error: HTTPParseError) {
        require(error.code == .headTooLarge, "the accumulator threw \(error)")
        require(buffered.count > maxHeadBytes + 4, "a head of \(buffered.count) bytes was refused as too large")
        require(terminator(in: buffered, limit: maxHeadBytes + 4) == nil, "a head within the cap was refused")
    }

    private func checkParsers(_ head: ArraySlice<UInt8>) {
        if let request = try? HTTPHeadParser.parseRequest(head, maxHeaderCount: maxHeaderCount) {
            require(!request.method.isEmpty && request.target.hasPrefix("/"), "accepted request line \(request.method) \(request.target)")
            requireClean(request.method)
            requireClean(request.target)
            checkHeaders(request.headers)
        }
        if let response = try? HTTPHeadParser.parseResponse(head, maxHeaderCount: maxHeaderCount) {
            require((100...599).contains(response.status), "accepted status \(response.status)")
            checkHeaders(response.headers)
        }
    }

    private func checkHeaders(_ headers: HTTPHeaders) {
        require(headers.count <= maxHeaderCount, "\(headers.count) headers accepted")
        for field in headers {
            require(!field.name.isEmpty, "an empty header name was accepted")
            requireClean(field.name)
            requireClean(field.value)
        }
        _ = try? HTTPHeadParser.contentLength(of: headers)
    }

    private func requireClean(_ text: String) {
        require(!text.utf8.contains { $0 == 13 || $0 == 10 || $0 == 0 }, "CR, LF or NUL accepted in \(text.debugDescription)")
    }
}
