import Foundation

/// One HTTP exchange for `CurlTransferLoop`: where to, what to send, and how long and how much to wait for.
struct CurlRequest: Sendable {
    var url: String
    /// POSTed with `contentType`; nil sends a GET.
    var body: Data?
    var contentType = "application/json"
    /// Until the TCP (and TLS) connection is up, proxy included.
    var connectTimeout: Duration
    /// The whole exchange, connecting included: a server that accepts and never answers fails after this.
    var totalTimeout: Duration
    /// A longer reply is refused (by its Content-Length when it has one, else as it arrives) rather than buffered.
    var maxResponseBytes: Int
    /// Further request headers, as `Name: value` lines (`User-Agent`, `If-None-Match`).
    var headers: [String] = []
    /// Where the reply's body goes: nil keeps it in `CurlResponse.body`; an open file descriptor receives it as it
    /// arrives instead, so a large download is never held in memory (the descriptor stays the caller's).
    var bodyFile: Int32? = nil
    /// Reply headers to report in `CurlResponse.headers` (by name, any case), e.g. `ETag`.
    var replyHeaders: [String] = []
}

/// What the server answered: any status, with its body.
struct CurlResponse: Sendable {
    var status: Int
    var body: Data
    /// The values of the request's `replyHeaders` that the reply had, by the name asked for.
    var headers: [String: String] = [:]
}
