import Dispatch
import Foundation
import FuzzSupport
import Synchronization

@testable import Shared

// Fuzzes the sealed-envelope opener: the headers and body of a sealed request or reply, against a fixed key.
//
// Input: `request` or `reply`, then method (for a reply: the request's nonce), path, agent id, timestamp and nonce,
// one per line, then the body's bytes. The seed corpus holds genuine envelopes (`GenuineEnvelopes.swift`), so
// mutations start from inputs that pass every check but the last.
//
// Properties: never crash; an envelope opens only if it is one of the genuine ones (same bound fields, same body)
// and then yields exactly its plaintext; a request that opened is refused the second time (replay).

struct GenuineEnvelope {
    let isRequest: Bool
    let methodOrRequestNonce: String
    let path: String
    let agentID: String
    let timestamp: Int64
    let nonce: [UInt8]
    let body: String
    let plaintext: String
}

/// The fuzzer's fixed key (bytes 0…31); the seeds were sealed with it.
private let key = AgentKey(rawBytes: (0..<32).map { UInt8($0) })!
/// A second key, so the verifier also tries a key that does not open (as during a key rotation).
private let otherKey = AgentKey(rawBytes: (0..<32).map { UInt8(255 - $0) })!
private let keys = StaticAgentKeys(["web-1": [key], "web-2": [otherKey, key]])
/// The seeds' timestamps are within ±60 s of this.
private let fixedNow = Date(timeIntervalSince1970: 1_700_000_000)

@main
enum FuzzEnvelopeMain {
    static func main() { runFuzzer(fuzzOneInput) }
}

private func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = inputBytes(data, size)
    let lines = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 6, omittingEmptySubsequences: false)
    guard lines.count == 7 else { return -1 }
    let text = lines[0..<6].map { String(decoding: $0, as: UTF8.self) }
    let envelope = Envelope(
        isRequest: text[0] == "request", methodOrRequestNonce: text[1], path: text[2], agentID: text[3], timestamp: text[4],
        nonce: text[5], body: Array(lines[6]))
    if envelope.isRequest {
        envelope.checkVerifier()
    }
    envelope.checkSealer()
    return 0
}

private struct Envelope: Sendable {
    let isRequest: Bool
    let methodOrRequestNonce: String
    let path: String
    let agentID: String
    let timestamp: String
    let nonce: String
    let body: [UInt8]

    var direction: SealDirection {
        isRequest ? .request(method: methodOrRequestNonce, path: path) : .reply(path: path, requestNonce: methodOrRequestNonce)
    }

    /// The genuine envelope these fields and body are, if any.
    func genuine(timestamp seconds: Int64) -> GenuineEnvelope? {
        guard let nonceBytes = decodeNonce() else { return nil }
        return genuineEnvelopes.first {
            $0.isRequest == isRequest && $0.methodOrRequestNonce == methodOrRequestNonce && $0.path == path && $0.agentID == agentID
                && $0.timestamp == seconds && $0.nonce == nonceBytes && $0.body == hex(body)
        }
    }

    /// `EnvelopeVerifier.open`, as the sealed routes call it, twice: the second time must be refused as a replay.
    func checkVerifier() {
        let verifier = EnvelopeVerifier(keys: keys, now: { fixedNow })
        let first = open(with: verifier)
        guard case .success(let opened) = first else { return }
        let seconds = Int64(timestamp) ?? .min
        guard let genuine = genuine(timestamp: seconds) else {
            require(false, "a forged request opened: \(self)")
            return
        }
        require(hex(opened.plaintext) == genuine.plaintext, "a genuine request opened to the wrong plaintext")
        require(opened.agentID == agentID && opened.key == key, "opened for the wrong agent or key")
        guard case .failure(let error) = open(with: verifier) else {
            require(false, "a replayed request opened twice: \(self)")
            return
        }
        require(error.code == .replayed, "a replay was refused for another reason: \(error)")
    }

    /// `Sealer.open` directly (the client opens replies with it).
    func checkSealer() {
        guard let seconds = Int64(timestamp) else { return }
        let message = SealedMessage(agentID: agentID, timestamp: seconds, nonce: nonce, body: body)
        guard let plaintext = try? Sealer.open(message, direction: direction, key: key) else { return }
        guard let genuine = genuine(timestamp: seconds) else {
            require(false, "a forged envelope opened: \(self)")
            return
        }
        require(hex(plaintext) == genuine.plaintext, "a genuine envelope opened to the wrong plaintext")
    }

    private func open(with verifier: EnvelopeVerifier) -> Result<OpenedEnvelope, SealError> {
        let outcome = Outcome()
        let finished = DispatchSemaphore(value: 0)
        Task {
            do throws(SealError) {
                let opened = try await verifier.open(
                    method: methodOrRequestNonce, path: path, agentID: agentID, timestamp: timestamp, nonce: nonce, body: body)
                outcome.result.withLock { $0 = .success(opened) }
            } catch {
                outcome.result.withLock { $0 = .failure(error) }
            }
            finished.signal()
        }
        finished.wait()
        return outcome.result.withLock { $0 }!
    }

    /// The nonce's bytes, decoded as the verifier decodes them.
    private func decodeNonce() -> [UInt8]? { Base64URL.decode(nonce) }
}

/// Carries the verifier's answer out of the task that awaited it.
private final class Outcome: Sendable {
    let result = Mutex<Result<OpenedEnvelope, SealError>?>(nil)
}

private func hex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}
