import Testing

@testable import Shared

@Suite("HTTP head parsing")
struct HTTPHeadParserTests {
    func parse(_ text: String) throws(HTTPParseError) -> HTTPHeadParser.RequestHead {
        try HTTPHeadParser.parseRequest(ArraySlice(text.utf8), maxHeaderCount: 8)
    }

    @Test("a request line and headers parse, names case-insensitive")
    func wellFormed() throws {
        let head = try parse("POST /alert?x=1 HTTP/1.1\r\nHost: hub\r\nx-vigil-agent: web-1\r\nContent-Length: 3")
        #expect(head.method == "POST")
        #expect(head.target == "/alert?x=1")
        #expect(head.headers["X-Vigil-Agent"] == "web-1")
        #expect(try HTTPHeadParser.contentLength(of: head.headers) == 3)
    }

    @Test(
        "malformed heads are refused with the right status",
        arguments: [
            ("GET /\r\n", 400),
            ("GET / HTTP/1.1 extra", 400),
            ("GET noslash HTTP/1.1", 400),
            ("GE T / HTTP/1.1", 400),
            ("GET / HTTP/2.0", 505),
            ("GET / HTTP/1.1\r\nNo colon here", 400),
            ("GET / HTTP/1.1\r\nBad Name: x", 400),
            ("GET / HTTP/1.1\r\nX: a\rb", 400),
            ("GET / HTTP/1.1\nX: a", 400),
            ("GET / HTTP/1.1\r\nX: \u{0}", 400),
        ]
    )
    func malformed(text: String, status: Int) {
        #expect(throws: HTTPParseError.self) { try parse(text) }
        do {
            _ = try parse(text)
        } catch {
            #expect(error.status.code == status)
        }
    }

    @Test("more header fields than allowed is 431")
    func headerCount() {
        let text = "GET / HTTP/1.1\r\n" + (0..<9).map { "X-\($0): v" }.joined(separator: "\r\n")
        #expect(throws: HTTPParseError(.tooManyHeaders)) { try parse(text) }
    }

    @Test("chunked bodies and conflicting lengths are refused")
    func bodyFraming() throws {
        #expect(throws: HTTPParseError(.unsupportedTransferEncoding)) {
            try HTTPHeadParser.contentLength(of: HTTPHeaders([("Transfer-Encoding", "chunked")]))
        }
        #expect(throws: HTTPParseError.self) {
            try HTTPHeadParser.contentLength(of: HTTPHeaders([("Content-Length", "3"), ("Content-Length", "4")]))
        }
        #expect(throws: HTTPParseError.self) { try HTTPHeadParser.contentLength(of: HTTPHeaders([("Content-Length", "-1")])) }
        #expect(throws: HTTPParseError.self) { try HTTPHeadParser.contentLength(of: HTTPHeaders([("Content-Length", "1e3")])) }
    }

    @Test("the accumulator finds a terminator split across reads and refuses past the cap")
    func accumulator() throws {
        var accumulator = HeadAccumulator(maxHeadBytes: 64)
        #expect(try accumulator.append(Array("GET / HTTP/1.1\r\nA: b\r".utf8)) == nil)
        let done = try accumulator.append(Array("\n\r\nBODY".utf8))
        #expect(done.map { String(decoding: $0.head, as: UTF8.self) } == "GET / HTTP/1.1\r\nA: b")
        #expect(done?.rest == Array("BODY".utf8))

        var capped = HeadAccumulator(maxHeadBytes: 64)
        #expect(throws: HTTPParseError(.headTooLarge)) { try capped.append([UInt8](repeating: 65, count: 100)) }
    }
}
