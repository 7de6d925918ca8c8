import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

@Suite("FeedUpdater: the tracker feed fetched conditionally, streamed into the store, the last good copy kept")
struct FeedUpdaterTests {
    /// The fixture's bookworm rows: eight for openssl (CVE-2024-0007 is bullseye's), two for glibc, one each for curl,
    /// libssh and not-installed.
    static let bookwormAdvisories = 13

    static func inventory(agent: String = "web-1", release: String = "bookworm") -> PackageInventory {
        let status = DpkgStatusReader.parse(Array(TrackerFixture.status.utf8))
        return PackageInventory(
            agent: agent, hostname: agent, distribution: "debian", release: release, sources: PackageInventory.sources(of: status.packages),
            collectedAt: Date(timeIntervalSince1970: 1_700_000_000))
    }

    static func updater(url: String, store: HubStore, directory: String) -> FeedUpdater {
        var configuration = VulnerabilitiesConfiguration()
        configuration.enabled = true
        configuration.trackerURL = url
        configuration.timeout = .seconds(20)
        return FeedUpdater(configuration: configuration, store: store, workDirectory: directory, logger: Logger(label: "test"), now: Date.init)
    }

    @Test("200 stores the fleet's release, then 304 keeps it, then a 5xx keeps it and says so in the status")
    func conditionalAndFailure() async throws {
        let store = try HubStore.inMemory()
        try await store.saveInventory(Self.inventory(), receivedAt: Date())
        let directory = try TemporaryDirectory("vigil-feed")
        defer { directory.remove() }
        let server = FeedServer()
        server.answer = .conditional(Array(TrackerFixture.feed.utf8), etag: "\"v1\"")
        try await server.serve { url in
            let updater = Self.updater(url: url, store: store, directory: directory.path)
            #expect(await updater.refresh() == .updated(advisories: Self.bookwormAdvisories))
            #expect(await updater.refresh() == .unchanged)
            server.answer = .status(503)
            guard case .failed(let reason) = await updater.refresh() else {
                Issue.record("a 503 was not a failure")
                return
            }
            #expect(reason.contains("HTTP 503"))
        }
        let requests = server.requests
        try #require(requests.count == 3)
        #expect(requests[0]["If-None-Match"] == nil)
        #expect(requests[1]["If-None-Match"] == "\"v1\"")
        #expect(requests[0]["User-Agent"]?.hasPrefix("vigil-hub/") == true)

        let state = try #require(try store.vulnerabilityFeedState())
        #expect(state.advisories == Self.bookwormAdvisories)
        #expect(state.failure?.contains("HTTP 503") == true)
        #expect(state.updatedAt != nil)
        // The old copy still answers: the fleet view has web-1's five findings.
        let report = try FleetVulnerabilityReport.build(store: store)
        #expect(report.hosts.map(\.cves) == [5])
        #expect(VulnsListCommand.feedText(state, now: Date()).contains("LAST CHECK FAILED"))
        #expect(!directory.path.isEmpty && !FileManager.default.fileExists(atPath: directory.file("tracker.json.download")))
    }

    @Test("a feed that breaks off mid-document is refused and the stored one stays whole")
    func malformedKeepsOld() async throws {
        let store = try HubStore.inMemory()
        try await store.saveInventory(Self.inventory(), receivedAt: Date())
        let directory = try TemporaryDirectory("vigil-feed")
        defer { directory.remove() }
        let server = FeedServer()
        server.answer = .feed(Array(TrackerFixture.feed.utf8), etag: "\"v1\"")
        try await server.serve { url in
            let updater = Self.updater(url: url, store: store, directory: directory.path)
            #expect(await updater.refresh() == .updated(advisories: Self.bookwormAdvisories))
            server.answer = .feed(Array(TrackerFixture.feed.utf8.dropLast(30)), etag: "\"v2\"")
            guard case .failed(let reason) = await updater.refresh() else {
                Issue.record("a truncated feed was stored")
                return
            }
            #expect(reason.contains("ends before"))
        }
        #expect(try store.vulnerabilityFeedState()?.advisories == Self.bookwormAdvisories)
        #expect(try store.advisories(release: "bookworm", sources: ["openssl"])["openssl"]?.count == 8)
    }

    @Test("without any inventory nothing is downloaded")
    func noInventoryNoDownload() async throws {
        let store = try HubStore.inMemory()
        let directory = try TemporaryDirectory("vigil-feed")
        defer { directory.remove() }
        let server = FeedServer()
        server.answer = .feed(Array(TrackerFixture.feed.utf8), etag: "\"v1\"")
        try await server.serve { url in
            #expect(await Self.updater(url: url, store: store, directory: directory.path).refresh() == .skipped)
        }
        #expect(server.requests.isEmpty)
    }

    @Test("a release new to the fleet is fetched in full even when the server's copy is unchanged")
    func newReleaseRefetches() async throws {
        let store = try HubStore.inMemory()
        try await store.saveInventory(Self.inventory(), receivedAt: Date())
        let directory = try TemporaryDirectory("vigil-feed")
        defer { directory.remove() }
        let server = FeedServer()
        server.answer = .conditional(Array(TrackerFixture.feed.utf8), etag: "\"v1\"")
        try await server.serve { url in
            let updater = Self.updater(url: url, store: store, directory: directory.path)
            #expect(await updater.refresh() == .updated(advisories: Self.bookwormAdvisories))
            try await store.saveInventory(Self.inventory(agent: "old-1", release: "bullseye"), receivedAt: Date())
            // bullseye adds CVE-2024-0001 and CVE-2024-0007 of openssl.
            #expect(await updater.refresh() == .updated(advisories: Self.bookwormAdvisories + 2))
        }
        #expect(server.requests.map { $0["If-None-Match"] } == [nil, nil])
    }
}
