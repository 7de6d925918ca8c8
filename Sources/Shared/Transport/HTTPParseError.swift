/// Why bytes could not become a message; each maps to the status the server answers before closing.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case headTooLarge
        case tooManyHeaders
        case bodyTooLarge
        case malformed(String)
        case unsupportedTransferEncoding
        case unsupportedVersion
    }

    public let code: Code

    public init(_ code: Code) {
        self.code = code
    }

    /// The status a server answers with.
    public var status: HTTPStatus {
        switch code {
        case .headTooLarge, .tooManyHeaders: .headersTooLarge
        case .bodyTooLarge: .payloadTooLarge
        case .malformed: .badRequest
        case .unsupportedTransferEncoding: .notImplemented
        case .unsupportedVersion: .versionNotSupported
        }
    }

    public var description: String {
        switch code {
        case .headTooLarge: "header section over the limit"
        case .tooManyHeaders: "too many header fields"
        case .bodyTooLarge: "body over the limit"
        case .malformed(let what): "malformed: \(what)"
        case .unsupportedTransferEncoding: "Transfer-Encoding is not supported; send Content-Length"
        case .unsupportedVersion: "only HTTP/1.1 and HTTP/1.0 are supported"
        }
    }
}
