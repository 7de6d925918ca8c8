import Foundation
import Testing

@testable import Shared

@Suite("Sealed envelopes")
struct SealerTests {
    let key = AgentKey.generate()
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func verifier(at instant: Date? = nil, capacity: Int = ReplayGuard.defaultCapacity) -> EnvelopeVerifier {
        let clock = instant ?? now
        return EnvelopeVerifier(keys: StaticAgentKeys(["web-1": [key]]), replayCapacity: capacity, now: { clock })
    }

    func seal(_ text: String = #"{"hello":"world"}"#, path: String = "/alert", agent: String = "web-1", at instant: Date? = nil) throws
        -> SealedMessage
    {
        try Sealer.seal(Array(text.utf8), direction: .request(method: "POST", path: path), agentID: agent, key: key, now: instant ?? now)
    }

    func open(_ message: SealedMessage, with verifier: EnvelopeVerifier, path: String = "/alert", timestamp: String? = nil) async throws
        -> OpenedEnvelope
    {
        try await verifier.open(
            method: "POST",
            path: path,
            agentID: message.agentID,
            timestamp: timestamp ?? String(message.timestamp),
            nonce: message.nonce,
            body: message.body
        )
    }

    func refusal(_ operation: () async throws -> OpenedEnvelope) async -> SealError.Code? {
        do {
            _ = try await operation()
            return nil
        } catch let error as SealError {
            return error.code
        } catch {
            return nil
        }
    }

    @Test("a sealed body opens with the same key, path and agent")
    func roundTrip() async throws {
        let message = try seal()
        let opened = try await open(message, with: verifier())
        #expect(String(decoding: opened.plaintext, as: UTF8.self) == #"{"hello":"world"}"#)
        #expect(opened.agentID == "web-1")
        #expect(message.body.count == 17 + 16)
    }

    @Test("a flipped bit anywhere in the body or tag is rejected", arguments: [0, 5, 16, 17, 32])
    func flippedBodyBit(index: Int) async throws {
        var message = try seal()
        message.body[index] ^= 0x01
        #expect(await refusal { try await open(message, with: verifier()) } == .openFailed)
    }

    @Test("a body sealed for one path does not open on another")
    func otherPath() async throws {
        let message = try seal(path: "/alert")
        #expect(await refusal { try await open(message, with: verifier(), path: "/heartbeat") } == .openFailed)
    }

    @Test("a body presented under another agent id is rejected")
    func otherAgent() async throws {
        let other = AgentKey.generate()
        let verifier = EnvelopeVerifier(keys: StaticAgentKeys(["web-1": [key], "web-2": [key, other]]), now: { now })
        var message = try seal()
        message.agentID = "web-2"
        #expect(await refusal { try await open(message, with: verifier) } == .openFailed)
    }

    @Test("a changed timestamp is rejected even inside the window")
    func changedTimestamp() async throws {
        let message = try seal()
        #expect(await refusal { try await open(message, with: verifier(), timestamp: String(message.timestamp + 1)) } == .openFailed)
    }

    @Test("a timestamp 61 s old or 61 s ahead is stale; 60 s is accepted", arguments: [(-61.0, false), (61.0, false), (-60.0, true), (60.0, true)])
    func window(offset: Double, accepted: Bool) async throws {
        let message = try seal(at: now.addingTimeInterval(offset))
        let code = await refusal { try await open(message, with: verifier()) }
        #expect(code == (accepted ? nil : .stale))
    }

    @Test("the same nonce twice is a replay")
    func replay() async throws {
        let verifier = verifier()
        let message = try seal()
        _ = try await open(message, with: verifier)
        #expect(await refusal { try await open(message, with: verifier) } == .replayed)
    }

    @Test("one agent's key flooding fresh requests until refused leaves another agent's requests accepted")
    func floodByOneAgent() async throws {
        let otherKey = AgentKey.generate()
        let verifier = EnvelopeVerifier(
            keys: StaticAgentKeys(["web-1": [key], "web-2": [otherKey]]), replayCapacity: 200, replayFloorPerAgent: 20, now: { [now] in now })
        var flooded = 0
        while await refusal({ try await open(try seal(), with: verifier) }) == nil {
            flooded += 1
            try #require(flooded <= 1000, "the flood is never refused")
        }
        #expect(await refusal { try await open(try seal(), with: verifier) } == .replayCacheFull)
        for _ in 0..<20 {
            let message = try Sealer.seal(
                Array("{}".utf8), direction: .request(method: "POST", path: "/alert"), agentID: "web-2", key: otherKey, now: now)
            #expect(try await open(message, with: verifier).agentID == "web-2")
        }
    }

    @Test("an unknown agent is rejected before any cryptography")
    func unknownAgent() async throws {
        let message = try seal(agent: "stranger")
        #expect(await refusal { try await open(message, with: verifier()) } == .unknownAgent)
    }

    @Test("missing headers and malformed nonces are rejected")
    func malformedHeaders() async throws {
        let verifier = verifier()
        let message = try seal()
        #expect(
            await refusal {
                try await verifier.open(method: "POST", path: "/alert", agentID: "web-1", timestamp: nil, nonce: message.nonce, body: message.body)
            } == .missingHeader)
        #expect(
            await refusal {
                try await verifier.open(method: "POST", path: "/alert", agentID: "web-1", timestamp: "12ab", nonce: message.nonce, body: message.body)
            } == .malformedTimestamp)
        #expect(
            await refusal {
                try await verifier.open(
                    method: "POST", path: "/alert", agentID: "web-1", timestamp: String(message.timestamp), nonce: "!!", body: message.body)
            } == .malformedNonce)
    }

    @Test("forged requests never reach the replay cache")
    func forgedDoesNotFillCache() async throws {
        let verifier = verifier()
        for _ in 0..<100 {
            var message = try seal()
            message.body[0] ^= 0xFF
            _ = await refusal { try await open(message, with: verifier) }
        }
        #expect(verifier.replayCacheCount == 0)
    }

    @Test("a reply is bound to its request's nonce")
    func replyBinding() throws {
        let reply = try Sealer.seal(Array("ok".utf8), direction: .reply(path: "/alert", requestNonce: "AAAA"), agentID: "web-1", key: key, now: now)
        #expect(throws: SealError(.openFailed)) {
            try Sealer.open(reply, direction: .reply(path: "/alert", requestNonce: "BBBB"), key: key)
        }
        #expect(throws: SealError(.openFailed)) {
            try Sealer.open(reply, direction: .request(method: "POST", path: "/alert"), key: key)
        }
        #expect(try Sealer.open(reply, direction: .reply(path: "/alert", requestNonce: "AAAA"), key: key) == Array("ok".utf8))
    }

    @Test("during a key rotation both keys open")
    func rotation() async throws {
        let newKey = AgentKey.generate()
        let verifier = EnvelopeVerifier(keys: StaticAgentKeys(["web-1": [newKey, key]]), now: { now })
        let message = try seal()
        #expect(try await open(message, with: verifier).key == key)
    }
}
