import Logging
import Testing
import VigilTestSupport

@testable import Shared

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Open-file limit", .serialized, .system)
struct DescriptorLimitTests {
    @Test("the connection cap is kept when it fits, and lowered to leave the reserve when it does not")
    func capFitsTheLimit() {
        #expect(DescriptorLimit.connectionCap(configured: 1024, otherConnections: 64, available: 100_000) == 1024)
        #expect(DescriptorLimit.connectionCap(configured: 1024, otherConnections: 0, available: 1024) == 1024 - DescriptorLimit.reserve)
        #expect(DescriptorLimit.connectionCap(configured: 1024, otherConnections: 64, available: 1024) == 1024 - DescriptorLimit.reserve - 64)
        #expect(DescriptorLimit.connectionCap(configured: 1024, otherConnections: 0, available: 10) == 1)
    }

    static var hardLimit: rlim_t {
        var limit = rlimit()
        return getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 ? limit.rlim_max : 0
    }

    @Test(
        "a soft limit below what the configuration needs is raised, up to the hard limit",
        .enabled(if: hardLimit >= rlim_t(2000 + DescriptorLimit.reserve), "needs a hard open-file limit of at least 2,256")
    )
    func raisesSoftLimit() throws {
        var original = rlimit()
        try #require(getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &original) == 0)
        defer { _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &original) }
        let needed = 2000 + DescriptorLimit.reserve
        var lowered = original
        lowered.rlim_cur = 1024
        try #require(setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &lowered) == 0)

        let fitted = DescriptorLimit.fit(HTTPServerConfiguration(maxConnections: 2000), otherConnections: 0, logger: Logger(label: "test"))
        var now = rlimit()
        _ = getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &now)
        #expect(now.rlim_cur == rlim_t(needed))
        #expect(fitted.maxConnections == 2000)
    }
}
