import Testing
import VigilTestSupport

@testable import Shared

@Suite("Connection registry")
struct ConnectionRegistryTests {
    let first = IPAddress("198.51.100.1")!
    let second = IPAddress("198.51.100.2")!
    let third = IPAddress("198.51.100.3")!

    func id(_ admission: ConnectionRegistry.Admission) throws -> Int {
        guard case .admitted(let id) = admission else { throw RegistryTestFailure(admission: admission) }
        return id
    }

    @Test("one address holds at most its share, another address still gets in, and a closed slot is given back")
    func perAddressCap() async throws {
        let registry = ConnectionRegistry(capacity: 100, perSourceCapacity: 3)
        var held: [Int] = []
        for _ in 0..<3 { held.append(try id(await registry.admit(peer: first))) }
        #expect(await registry.admit(peer: first) == .sourceFull)
        _ = try id(await registry.admit(peer: second))
        await registry.remove(held[0])
        _ = try id(await registry.admit(peer: first))
    }

    @Test("IPv6 peers are counted per /64, so rotating addresses inside one prefix gains nothing")
    func ipv6PerPrefix() async throws {
        let registry = ConnectionRegistry(capacity: 100, perSourceCapacity: 2)
        _ = try id(await registry.admit(peer: IPAddress("2001:db8:1:2::1")!))
        _ = try id(await registry.admit(peer: IPAddress("2001:db8:1:2::2")!))
        #expect(await registry.admit(peer: IPAddress("2001:db8:1:2:ffff::9")!) == .sourceFull)
        _ = try id(await registry.admit(peer: IPAddress("2001:db8:1:3::1")!))
    }

    @Test("at the cap a stranger pushes out the longest-idle stranger, never an authenticated connection")
    func protectedSurviveStrangers() async throws {
        let registry = ConnectionRegistry(capacity: 2)
        let hub = try id(await registry.admit(peer: first))
        await registry.protect(hub)  // it carried an authenticated request and is idle again (kept alive)
        _ = try id(await registry.admit(peer: second))
        _ = try id(await registry.admit(peer: third))  // pushes out the stranger from `second`, not the older hub
        _ = try id(await registry.admit(peer: second))  // pushes out `third`
        #expect(await registry.count == 2)
        let trusted = try id(await registry.admit(peer: third, isProtected: true))  // a trusted peer pushes out a stranger
        #expect(await registry.admit(peer: second) == .poolFull, "only protected connections are left: a stranger is refused")
        await registry.remove(trusted)
        _ = try id(await registry.admit(peer: second))
        await registry.remove(hub)
        #expect(await registry.count == 1)
    }

    @Test("a trusted newcomer may push out the longest-idle protected connection when nothing else is left")
    func trustedNewcomerAtFullProtectedPool() async throws {
        let registry = ConnectionRegistry(capacity: 1)
        let old = try id(await registry.admit(peer: first, isProtected: true))
        #expect(await registry.admit(peer: second) == .poolFull)
        let new = try id(await registry.admit(peer: first, isProtected: true))
        #expect(old != new)
        #expect(await registry.count == 1)
    }

    @Test("busy connections are never pushed out")
    func busyStay() async throws {
        let registry = ConnectionRegistry(capacity: 1)
        let busy = try id(await registry.admit(peer: first))
        await registry.mark(busy, .busy)
        #expect(await registry.admit(peer: second) == .poolFull)
    }
}

struct RegistryTestFailure: Error, CustomStringConvertible {
    let admission: ConnectionRegistry.Admission
    var description: String { "not admitted: \(admission)" }
}
