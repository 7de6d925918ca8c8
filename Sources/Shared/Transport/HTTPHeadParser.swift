/// Parses a request or status line and header fields from a complete head (up to, not including, the blank line).
///
/// One forward pass over the bytes, so the cost is linear in the head's length; no `String` is built until a
/// line has been delimited and validated.
public enum HTTPHeadParser {
    /// A parsed request head.
    public struct RequestHead: Sendable, Equatable {
        public var method: String
        public var target: String
        public var headers: HTTPHeaders
    }

    /// A parsed response head.
    public struct ResponseHead: Sendable, Equatable {
        public var status: Int
        public var headers: HTTPHeaders
    }

    /// Parses `head` (bytes before CRLF CRLF) as a request.
    public static func parseRequest(_ head: ArraySlice<UInt8>, maxHeaderCount: Int) throws(HTTPParseError) -> RequestHead {
        var lines = LineCursor(head)
        guard let requestLine = try lines.next() else { throw HTTPParseError(.malformed("empty request line")) }
        let parts = requestLine.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw HTTPParseError(.malformed("request line")) }
        guard !parts[0].isEmpty, parts[0].allSatisfy(isTokenByte) else { throw HTTPParseError(.malformed("method")) }
        guard parts[1].first == UInt8(ascii: "/"), parts[1].allSatisfy(isTargetByte) else {
            throw HTTPParseError(.malformed("request target"))
        }
        guard parts[2].elementsEqual("HTTP/1.1".utf8) || parts[2].elementsEqual("HTTP/1.0".utf8) else {
            throw HTTPParseError(.unsupportedVersion)
        }
        let headers = try parseFields(&lines, maxHeaderCount: maxHeaderCount)
        return RequestHead(method: String(decoding: parts[0], as: UTF8.self), target: String(decoding: parts[1], as: UTF8.self), headers: headers)
    }

    /// Parses `head` as a response.
    public static func parseResponse(_ head: ArraySlice<UInt8>, maxHeaderCount: Int) throws(HTTPParseError) -> ResponseHead {
        var lines = LineCursor(head)
        guard let statusLine = try lines.next(), statusLine.count >= 12,
            statusLine.starts(with: "HTTP/1.".utf8),
            let status = Int(String(decoding: statusLine.dropFirst(9).prefix(3), as: UTF8.self)),
            (100...599).contains(status)
        else { throw HTTPParseError(.malformed("status line")) }
        let headers = try parseFields(&lines, maxHeaderCount: maxHeaderCount)
        return ResponseHead(status: status, headers: headers)
    }

    /// The declared body length: 0 without `Content-Length`; chunked and conflicting lengths are refused.
    public static func contentLength(of headers: HTTPHeaders) throws(HTTPParseError) -> Int {
        if headers["Transfer-Encoding"] != nil { throw HTTPParseError(.unsupportedTransferEncoding) }
        let values = headers.values(for: "Content-Length")
        guard let first = values.first else { return 0 }
        guard values.allSatisfy({ $0 == first }), first.utf8.count <= 18, first.utf8.allSatisfy(isDigit), let length = Int(first)
        else { throw HTTPParseError(.malformed("Content-Length")) }
        return length
    }

    private static func parseFields(_ lines: inout LineCursor, maxHeaderCount: Int) throws(HTTPParseError) -> HTTPHeaders {
        var headers = HTTPHeaders()
        while let line = try lines.next() {
            guard headers.count < maxHeaderCount else { throw HTTPParseError(.tooManyHeaders) }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw HTTPParseError(.malformed("header field")) }
            let name = line[line.startIndex..<colon]
            guard !name.isEmpty, name.allSatisfy(isTokenByte) else { throw HTTPParseError(.malformed("header name")) }
            let value = trimmed(line[line.index(after: colon)...])
            guard value.allSatisfy(isFieldValueByte) else { throw HTTPParseError(.malformed("header value")) }
            headers.append(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
        }
        return headers
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = bytes
        while let first = slice.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { slice.removeFirst() }
        while let last = slice.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { slice.removeLast() }
        return slice
    }

    static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    /// RFC 9110 `tchar`.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    /// Visible ASCII only: no spaces, controls or bytes above 0x7E in a target.
    private static func isTargetByte(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7F }

    /// Visible characters, space, tab and obs-text; never CR, LF or NUL.
    private static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == 0x09 || (byte >= 0x20 && byte != 0x7F)
    }
}

/// Walks CRLF-delimited lines; a bare CR or LF inside a line is malformed (request smuggling starts there).
private struct LineCursor {
    private let bytes: ArraySlice<UInt8>
    private var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    mutating func next() throws(HTTPParseError) -> ArraySlice<UInt8>? {
        guard position < bytes.endIndex else { return nil }
        var index = position
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\r") {
                guard index + 1 < bytes.endIndex, bytes[index + 1] == UInt8(ascii: "\n") else {
                    throw HTTPParseError(.malformed("bare CR"))
                }
                let line = bytes[position..<index]
                position = index + 2
                return line
            }
            if byte == UInt8(ascii: "\n") { throw HTTPParseError(.malformed("bare LF")) }
            index += 1
        }
        let line = bytes[position..<bytes.endIndex]
        position = bytes.endIndex
        return line
    }
}
