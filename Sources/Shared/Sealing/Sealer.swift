import Crypto
import FoundationEssentials

/// Seals and opens bodies with ChaChaPoly; the associated data binds direction, method or request nonce, path,
/// agent id and timestamp, so a sealed body is valid in exactly one place.
///
/// `Sealer` checks cryptography only. Freshness and replay are `EnvelopeVerifier`'s job.
public enum Sealer {
    /// Seals `plaintext` for `direction`, stamped with `now` and a fresh random nonce.
    public static func seal(
        _ plaintext: some DataProtocol,
        direction: SealDirection,
        agentID: String,
        key: AgentKey,
        now: Date = Date()
    ) throws(SealError) -> SealedMessage {
        let nonce = ChaChaPoly.Nonce()
        let nonceText = Base64URL.encode(Array(nonce))
        let timestamp = Int64(now.timeIntervalSince1970.rounded(.down))
        let associated = associatedData(direction: direction, agentID: agentID, timestamp: timestamp)
        do {
            let box = try ChaChaPoly.seal(plaintext, using: key.symmetricKey, nonce: nonce, authenticating: associated)
            return SealedMessage(agentID: agentID, timestamp: timestamp, nonce: nonceText, body: Array(box.ciphertext) + Array(box.tag))
        } catch {
            throw SealError(.sealFailed)
        }
    }

    /// Opens `message` for `direction` with `key`; throws `.openFailed` if any bound field or byte was altered.
    public static func open(_ message: SealedMessage, direction: SealDirection, key: AgentKey) throws(SealError) -> [UInt8] {
        guard let nonceBytes = Base64URL.decode(message.nonce), nonceBytes.count == 12,
            let nonce = try? ChaChaPoly.Nonce(data: nonceBytes)
        else { throw SealError(.malformedNonce) }
        guard message.body.count >= 16 else { throw SealError(.openFailed) }
        let associated = associatedData(direction: direction, agentID: message.agentID, timestamp: message.timestamp)
        do {
            let box = try ChaChaPoly.SealedBox(
                nonce: nonce,
                ciphertext: message.body.dropLast(16),
                tag: message.body.suffix(16)
            )
            return Array(try ChaChaPoly.open(box, using: key.symmetricKey, authenticating: associated))
        } catch {
            throw SealError(.openFailed)
        }
    }

    /// `vigil-v1` line-separated fields. Agent ids and paths cannot contain newlines (the transport rejects them),
    /// so the encoding is unambiguous.
    static func associatedData(direction: SealDirection, agentID: String, timestamp: Int64) -> [UInt8] {
        let fields: [String]
        switch direction {
        case .request(let method, let path):
            fields = ["vigil-v1", "request", method, path, agentID, String(timestamp)]
        case .reply(let path, let requestNonce):
            fields = ["vigil-v1", "reply", requestNonce, path, agentID, String(timestamp)]
        }
        return Array(fields.joined(separator: "\n").utf8)
    }
}
