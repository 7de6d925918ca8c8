/// Why a transfer brought no reply. The message fits a log line; it comes from libcurl and may name the host, but the
/// caller still redacts it, since some libcurl messages quote the URL.
struct CurlError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Equatable {
        case cancelled
        case timedOut
        case tooLarge
        case failed
    }

    private let code: Code
    private let message: String

    /// The caller's task was cancelled; the transfer was dropped without waiting for the network.
    static let cancelled = CurlError(code: .cancelled, message: "cancelled")

    static func timedOut(_ message: String) -> CurlError { CurlError(code: .timedOut, message: message) }

    static func tooLarge(limit: Int) -> CurlError { CurlError(code: .tooLarge, message: "reply larger than \(limit) bytes refused") }

    static func failed(_ message: String) -> CurlError { CurlError(code: .failed, message: message) }

    var isCancelled: Bool { code == .cancelled }
    var isTimeout: Bool { code == .timedOut }
    /// The server answered, but with more than the request's `maxResponseBytes`.
    var isTooLarge: Bool { code == .tooLarge }

    var description: String { message }
}
