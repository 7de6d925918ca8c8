/// Why a sealed message was refused. The reason goes to the log, never into the 401 reply.
public struct SealError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The reasons callers can match on.
    public enum Code: String, Sendable {
        case missingHeader = "missing sealed header"
        case unknownAgent = "unknown agent"
        case malformedTimestamp = "malformed timestamp"
        case stale = "timestamp outside the accepted window"
        case malformedNonce = "malformed nonce"
        case replayed = "nonce already seen"
        case replayCacheFull = "replay cache full"
        case openFailed = "authentication failed"
        case sealFailed = "sealing failed"
    }

    public let code: Code

    public init(_ code: Code) {
        self.code = code
    }

    public var description: String { code.rawValue }
}
