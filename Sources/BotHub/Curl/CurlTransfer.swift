import CCurl
import Foundation
import Synchronization

/// One request's libcurl easy handle, its reply as it arrives, and the caller waiting for it.
///
/// `@unchecked Sendable`, and why that is safe: the caller builds the transfer and sets `continuation` before handing
/// it to `CurlTransferLoop` through the loop's mutex (which orders those writes before the loop's reads); from then on
/// only the loop's thread touches the handle, `body`, `overflowed` and `continuation` (libcurl calls `append` on that
/// thread, inside `curl_multi_perform`). The caller's only later access is `cancel()`, an atomic.
final class CurlTransfer: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    var continuation: CheckedContinuation<Result<CurlResponse, CurlError>, Never>?
    private let headers: UnsafeMutablePointer<curl_slist>?
    /// libcurl's own words for a failure ("SSL certificate problem: self-signed certificate"), better than its code's.
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let maxResponseBytes: Int
    private var body = Data()
    private var overflowed = false
    private let bodyFile: Int32?
    private var received = 0
    /// `errno` of a failed write to `bodyFile`.
    private var writeFailure: Int32?
    private let replyHeaders: [String]
    private let cancelled = Atomic<Bool>(false)

    init(_ request: CurlRequest) throws(CurlError) {
        guard let easy = curl_easy_init() else { throw .failed("libcurl cannot create a handle") }
        self.easy = easy
        var headers = curl_slist_append(nil, "Content-Type: \(request.contentType)")
        // libcurl would otherwise send `Expect: 100-continue` with bodies over 1 KiB and wait a second for an answer
        // that plain HTTP/1.1 servers never send.
        headers = curl_slist_append(headers, "Expect:")
        for header in request.headers { headers = curl_slist_append(headers, header) }
        self.headers = headers
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(to: 0)
        self.maxResponseBytes = request.maxResponseBytes
        self.bodyFile = request.bodyFile
        self.replyHeaders = request.replyHeaders
        try configure(for: request)
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headers)
        errorBuffer.deallocate()
    }

    /// Proxies are deliberately left alone: libcurl then reads `https_proxy`, `http_proxy`, `all_proxy` and `no_proxy`
    /// from the environment, the way every other program on the host does.
    private func configure(for request: CurlRequest) throws(CurlError) {
        try set(vigil_curl_setopt_string(easy, CURLOPT_URL, request.url))
        // libcurl must not use signals (its DNS timeout would otherwise raise SIGALRM in a threaded process).
        try set(vigil_curl_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        try set(vigil_curl_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"))
        try set(vigil_curl_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0))
        // Both are libcurl's defaults; stated so that no later change turns them off unnoticed.
        try set(vigil_curl_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1))
        try set(vigil_curl_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2))
        try set(vigil_curl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, request.connectTimeout.milliseconds))
        try set(vigil_curl_setopt_long(easy, CURLOPT_TIMEOUT_MS, request.totalTimeout.milliseconds))
        // A long poll sits idle for most of a minute; keepalives let a NAT on the way know the connection is alive.
        try set(vigil_curl_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1))
        try set(vigil_curl_setopt_off_t(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(request.maxResponseBytes)))
        try set(vigil_curl_setopt_pointer(easy, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headers)))
        try set(vigil_curl_setopt_pointer(easy, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer)))
        try set(vigil_curl_setopt_pointer(easy, CURLOPT_WRITEDATA, Unmanaged.passUnretained(self).toOpaque()))
        try set(
            vigil_curl_setopt_write_function(easy) { data, size, count, context in
                guard let data, let context else { return 0 }
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
                return transfer.append(UnsafeRawBufferPointer(start: data, count: size * count))
            })
        if let body = request.body {
            // The size first, then COPYPOSTFIELDS (which makes the request a POST): libcurl keeps its own copy of
            // that many bytes, so `body` need not outlive this call.
            try set(vigil_curl_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            let copied = body.withUnsafeBytes { bytes in
                guard let start = bytes.baseAddress else { return vigil_curl_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, "") }
                return vigil_curl_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: start))
            }
            try set(copied)
        } else {
            try set(vigil_curl_setopt_long(easy, CURLOPT_HTTPGET, 1))
        }
    }

    private func set(_ code: CURLcode) throws(CurlError) {
        guard code == CURLE_OK else { throw .failed("libcurl refused an option: \(String(cString: curl_easy_strerror(code)))") }
    }

    /// Libcurl's write callback: keeps the bytes, or stops the transfer (by taking none) when the reply grows too big.
    private func append(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard received + bytes.count <= maxResponseBytes else {
            overflowed = true
            return 0
        }
        received += bytes.count
        guard let bodyFile else {
            body.append(contentsOf: bytes)
            return bytes.count
        }
        var written = 0
        while written < bytes.count, let base = bytes.baseAddress {
            let result = write(bodyFile, base + written, bytes.count - written)
            if result < 0 {
                if errno == EINTR { continue }
                writeFailure = errno
                return 0
            }
            written += result
        }
        return bytes.count
    }

    /// The reply headers asked for, read from libcurl's header API after the transfer.
    private func collectedHeaders() -> [String: String] {
        var found: [String: String] = [:]
        for name in replyHeaders {
            var header: UnsafeMutablePointer<curl_header>?
            // Origin 1 is CURLH_HEADER (plain server headers; a shift macro Swift does not import); request -1 is the
            // last response, the final answer's after a 100 Continue.
            guard curl_easy_header(easy, name, 0, 1, -1, &header) == CURLHE_OK, let value = header?.pointee.value else { continue }
            found[name] = String(cString: value)
        }
        return found
    }

    /// Marks the transfer cancelled; the loop drops it at its next turn.
    func cancel() { cancelled.store(true, ordering: .releasing) }

    var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

    /// Turns libcurl's result into the caller's. Loop thread only.
    func complete(_ code: CURLcode) {
        if code == CURLE_OK {
            // libcurl always has the status of a completed transfer; if it had none, 0 reads as "no HTTP status".
            var status = 0
            if vigil_curl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK { status = 0 }
            finish(.success(CurlResponse(status: status, body: body, headers: collectedHeaders())))
        } else if let writeFailure {
            finish(.failure(.failed("cannot write the reply to disk: \(String(cString: strerror(writeFailure)))")))
        } else if overflowed || code == CURLE_FILESIZE_EXCEEDED {
            finish(.failure(.tooLarge(limit: maxResponseBytes)))
        } else if code == CURLE_OPERATION_TIMEDOUT {
            finish(.failure(.timedOut(failureText(code))))
        } else {
            finish(.failure(.failed(failureText(code))))
        }
    }

    /// Resumes the caller. Loop thread only, once per transfer.
    func finish(_ result: Result<CurlResponse, CurlError>) {
        continuation?.resume(returning: result)
        continuation = nil
    }

    private func failureText(_ code: CURLcode) -> String {
        errorBuffer.pointee == 0 ? String(cString: curl_easy_strerror(code)) : String(cString: errorBuffer)
    }
}

extension Duration {
    /// Whole milliseconds, as libcurl takes its timeouts.
    fileprivate var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
