import CCurl
import Foundation
import Synchronization

/// The one thread that runs every libcurl transfer of the process, through one multi handle.
///
/// A thread of its own, because libcurl waits for the network by blocking, and a 50-second long poll must not hold
/// one of the few threads of Swift's cooperative pool. One multi handle, because its connection cache keeps the TLS
/// connection to Telegram open from one call to the next.
///
/// Cancellation never waits for the network: the cancelled caller marks its transfer, queues it and wakes the loop
/// (`curl_multi_wakeup`, which libcurl allows from any thread); the loop removes it and resumes the caller on its next
/// turn, in microseconds. (URLSession, which the hub used before, could deadlock here on Linux: its cancel handler
/// waited on the session's queue while that queue waited for the task.)
final class CurlTransferLoop: @unchecked Sendable {
    // `@unchecked Sendable`, and why that is safe: `multi` is used only on the loop's thread, except by
    // `curl_multi_wakeup`, which libcurl documents as callable from any thread; `inbox` is behind a mutex.

    /// The process's loop, started on first use (after `curl_global_init`, which runs once, here).
    static let shared = CurlTransferLoop()

    private struct Inbox {
        var started: [CurlTransfer] = []
        var cancelled: [CurlTransfer] = []
    }

    private let multi: UnsafeMutableRawPointer?
    private let inbox = Mutex(Inbox())
    /// How long the loop sleeps with nothing to do; any new transfer or cancellation wakes it sooner.
    private static let idleWaitMilliseconds: Int32 = 60_000

    private init() {
        multi = vigil_curl_global_init() == CURLE_OK ? curl_multi_init() : nil
        guard multi != nil else { return }
        let thread = Thread { [self] in run() }
        thread.name = "vigil-curl"
        thread.start()
    }

    /// Runs `request` on the loop; a cancelled caller gets `CurlError.cancelled` without waiting for the network.
    func perform(_ request: CurlRequest) async throws(CurlError) -> CurlResponse {
        guard let multi else { throw .failed("libcurl could not be initialised") }
        if Task.isCancelled { throw .cancelled }
        let transfer = try CurlTransfer(request)
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                transfer.continuation = continuation
                self.inbox.withLock { $0.started.append(transfer) }
                curl_multi_wakeup(multi)
            }
        } onCancel: {
            // The flag covers a cancellation that the loop reads before it has seen the transfer start.
            transfer.cancel()
            self.inbox.withLock { $0.cancelled.append(transfer) }
            self.wake()
        }
        return try result.get()
    }

    private func wake() {
        if let multi { curl_multi_wakeup(multi) }
    }

    /// The loop's thread: forever take new and cancelled transfers, let libcurl work, hand back finished ones, sleep
    /// until a socket, a libcurl timer or a wakeup needs attention. libcurl's own timers (connect and total timeouts)
    /// shorten the sleep as needed.
    private func run() {
        guard let multi else { return }
        var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
        while true {
            let (started, cancelled) = inbox.withLock { inbox in
                defer { inbox = Inbox() }
                return (inbox.started, inbox.cancelled)
            }
            for transfer in started {
                if transfer.isCancelled {
                    transfer.finish(.failure(.cancelled))
                    continue
                }
                let added = curl_multi_add_handle(multi, transfer.easy)
                guard added == CURLM_OK else {
                    transfer.finish(.failure(.failed(String(cString: curl_multi_strerror(added)))))
                    continue
                }
                active[transfer.easy] = transfer
            }
            for transfer in cancelled where active.removeValue(forKey: transfer.easy) != nil {
                curl_multi_remove_handle(multi, transfer.easy)
                transfer.finish(.failure(.cancelled))
            }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                // Read before removing the handle: that frees the message.
                let code = message.pointee.data.result
                guard let transfer = active.removeValue(forKey: easy) else { continue }
                curl_multi_remove_handle(multi, easy)
                transfer.complete(code)
            }
            curl_multi_poll(multi, nil, 0, Self.idleWaitMilliseconds, nil)
        }
    }
}
