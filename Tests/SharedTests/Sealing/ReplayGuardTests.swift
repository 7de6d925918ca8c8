import Foundation
import Testing
import VigilTestSupport

@testable import Shared

@Suite("Replay guard", .serialized, .system)
struct ReplayGuardTests {
    func nonce(_ counter: Int) -> [UInt8] {
        withUnsafeBytes(of: UInt64(counter).bigEndian) { Array($0) } + [0, 0, 0, 1]
    }

    @Test("a flood of 1,000,000 distinct fresh nonces never holds more than the capacity")
    func floodStaysBounded() {
        var guardian = ReplayGuard()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var refusedFull = 0
        var maximum = 0
        for counter in 0..<1_000_000 {
            // 10,000 requests a second: the window (121 s) would need 1.21 M entries without a bound.
            let now = start.addingTimeInterval(Double(counter) / 10_000)
            do {
                try guardian.admit(nonce: nonce(counter), agentID: "web-1", now: now)
            } catch {
                #expect(error.code == .replayCacheFull)
                refusedFull += 1
            }
            maximum = max(maximum, guardian.count)
        }
        #expect(maximum == ReplayGuard.defaultCapacity)
        #expect(refusedFull > 0)
    }

    @Test("nonces are forgotten once their timestamps can no longer be accepted")
    func expiry() throws {
        var guardian = ReplayGuard(capacity: 10)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for counter in 0..<10 { try guardian.admit(nonce: nonce(counter), agentID: "a", now: start) }
        #expect(throws: SealError(.replayCacheFull)) { try guardian.admit(nonce: nonce(99), agentID: "a", now: start.addingTimeInterval(120)) }
        try guardian.admit(nonce: nonce(99), agentID: "a", now: start.addingTimeInterval(121))
        #expect(guardian.count == 1)
    }

    @Test("one agent flooding fresh nonces is refused, and another agent's fresh nonces are still accepted")
    func floodingAgentLeavesRoomForOthers() throws {
        var guardian = ReplayGuard()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var flooded = 0
        while true {
            do {
                try guardian.admit(nonce: nonce(flooded), agentID: "stolen-key", now: start)
            } catch {
                #expect(error.code == .replayCacheFull)
                break
            }
            flooded += 1
            if flooded > 2 * ReplayGuard.defaultCapacity { break }
        }
        #expect(flooded <= ReplayGuard.defaultCapacity, "the flood was refused at the cache's capacity")
        // Every other agent keeps at least its floor: ~8 requests a second for the whole 121 s window.
        for counter in 0..<ReplayGuard.defaultPerAgentFloor {
            try guardian.admit(nonce: nonce(counter), agentID: "web-2", now: start.addingTimeInterval(1))
            try guardian.admit(nonce: nonce(counter), agentID: "web-3", now: start.addingTimeInterval(1))
        }
        #expect(throws: SealError(.replayCacheFull)) {
            try guardian.admit(nonce: nonce(flooded), agentID: "stolen-key", now: start.addingTimeInterval(1))
        }
    }

    @Test("once another agent is active, a flooder is held to its fair share while the cache has room")
    func fairShare() throws {
        var guardian = ReplayGuard(capacity: 100, perAgentFloor: 10)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for counter in 0..<10 { try guardian.admit(nonce: nonce(counter), agentID: "web-2", now: start) }
        var admitted = 0
        for counter in 0..<100 {
            do {
                try guardian.admit(nonce: nonce(counter), agentID: "stolen-key", now: start)
                admitted += 1
            } catch {
                #expect(error.code == .replayCacheFull)
            }
        }
        #expect(admitted == 50, "two agents hold live nonces: the flooder gets half of the 100")
        #expect(guardian.count(of: "stolen-key") == 50)
        for counter in 10..<50 { try guardian.admit(nonce: nonce(counter), agentID: "web-2", now: start) }
        #expect(guardian.count == 100)
    }

    @Test("a nonce is remembered for its whole window")
    func remembered() throws {
        var guardian = ReplayGuard()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        try guardian.admit(nonce: nonce(1), agentID: "a", now: start)
        #expect(throws: SealError(.replayed)) { try guardian.admit(nonce: nonce(1), agentID: "a", now: start.addingTimeInterval(120)) }
    }
}
