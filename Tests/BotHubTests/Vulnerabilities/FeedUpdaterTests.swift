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

    static func updater(url: String, store: HubStore, directory: String, kev: Bool = false) -> FeedUpdater {
        var configuration = VulnerabilitiesConfiguration()
        configuration.enabled = true
        configuration.trackerURL = url
        configuration.kevURL = kev ? FeedServer.kevURL(url) : nil
        configuration.timeout = .seconds(20)
        return FeedUpdater(configuration: configuration, store: store, workDirectory: directory, logger: Logger(label: "test"), now: Date.init)
    }

    /// A store holding web-1's inventory, a work directory, and the loopback feed server answering `answer`; `body`
    /// gets the updater pointed at the server (with `kev_url` when asked), the server and the store.
    static func withFeed(
        inventory: Bool = true, answer: FeedServer.Answer, kev: Bool = false,
        _ body: @Sendable (FeedUpdater, FeedServer, HubStore) async throws -> Void
    ) async throws {
        let store = try HubStore.inMemory()
        if inventory { try await store.saveInventory(Self.inventory(), receivedAt: Date()) }
        let directory = try TemporaryDirectory("vigil-feed")
        defer { directory.remove() }
        let server = FeedServer()
        server.answer = answer
        try await server.serve { url in
            try await body(Self.updater(url: url, store: store, directory: directory.path, kev: kev), server, store)
        }
        #expect(!FileManager.default.fileExists(atPath: directory.file("tracker.json.download")))
        #expect(!FileManager.default.fileExists(atPath: directory.file("kev.json.download")))
    }

    @Test("200 stores the fleet's release, then 304 keeps it, then a 5xx keeps it and says so in the status")
    func conditionalAndFailure() async throws {
        try await Self.withFeed(answer: .conditional(Array(TrackerFixture.feed.utf8), etag: "\"v1\"")) { updater, server, store in
            #expect(await updater.refresh() == .updated(advisories: Self.bookwormAdvisories))
            #expect(await updater.refresh() == .unchanged)
            server.answer = .status(503)
            guard case .failed(let reason) = await updater.refresh() else {
                Issue.record("a 503 was not a failure")
                return
            }
            #expect(reason.contains("HTTP 503"))
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
        }
    }

    @Test("a feed that breaks off mid-document is refused and the stored one stays whole")
    func malformedKeepsOld() async throws {
        try await Self.withFeed(answer: .feed(Array(TrackerFixture.feed.utf8), etag: "\"v1\"")) { updater, server, store in
            #expect(await updater.refresh() == .updated(advisories: Self.bookwormAdvisories))
            server.answer = .feed(Array(TrackerFixture.feed.utf8.dropLast(30)), etag: "\"v2\"")
            guard case .failed(let reason) = await updater.refresh() else {
                Issue.record("a truncated feed was stored")
                return
            }
            #expect(reason.contains("ends before"))
            let stored = try store.vulnerabilityFeedState()?.advisories
            let openssl = try store.advisories(release: "bookworm", sources: ["openssl"])["openssl"]?.count
            #expect(stored == Self.bookwormAdvisories)
            // Eight stored for openssl; the five that can match (not fixed-0, ignored or undetermined) are read back.
            #expect(openssl == 5)
        }
    }

    @Test("without any inventory nothing is downloaded; nor for Ubuntu hosts alone, whose releases Debian's tracker has not")
    func noInventoryNoDownload() async throws {
        try await Self.withFeed(inventory: false, answer: .feed(Array(TrackerFixture.feed.utf8), etag: "\"v1\"")) { updater, server, store in
            #expect(await updater.refresh() == .skipped)
            var ubuntu = Self.inventory(agent: "web-3", release: "noble")
            ubuntu.distribution = "ubuntu"
            try await store.saveInventory(ubuntu, receivedAt: Date())
            #expect(try store.fleetReleases().isEmpty)
            #expect(await updater.refresh() == .skipped)
            #expect(server.requests.isEmpty)
            try await store.saveInventory(Self.inventory(), receivedAt: Date())
            #expect(try store.fleetReleases() == ["bookworm"])
        }
    }

    @Test("a release new to the fleet is fetched in full even when the server's copy is unchanged")
    func newReleaseRefetches() async throws {
        try await Self.withFeed(answer: .conditional(Array(TrackerFixture.feed.utf8), etag: "\"v1\"")) { updater, server, store in
            #expect(await updater.refresh() == .updated(advisories: Self.bookwormAdvisories))
            try await store.saveInventory(Self.inventory(agent: "old-1", release: "bullseye"), receivedAt: Date())
            // bullseye adds CVE-2024-0001 and CVE-2024-0007 of openssl.
            #expect(await updater.refresh() == .updated(advisories: Self.bookwormAdvisories + 2))
            #expect(server.requests.map { $0["If-None-Match"] } == [nil, nil])
        }
    }

    /// CISA's format, with fields the hub ignores.
    static let kev = #"""
        {"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2026.11.30", "count": 2,
         "vulnerabilities": [
          {"cveID": "CVE-2024-0005", "vendorProject": "OpenSSL", "product": "OpenSSL", "dateAdded": "2026-11-01", "knownRansomwareCampaignUse": "Unknown"},
          {"cveID": "CVE-2023-9999", "vendorProject": "Other", "product": "Other", "dateAdded": "2026-11-02"}
         ]}
        """#

    @Test("kev_url: the KEV catalog is fetched conditionally, its CVEs flagged and ranked first; a 5xx keeps the last list")
    func knownExploited() async throws {
        try await Self.withFeed(answer: .feed(Array(TrackerFixture.feed.utf8), etag: "\"v1\""), kev: true) { updater, server, store in
            server.kevAnswer = .conditional(Array(Self.kev.utf8), etag: "\"k1\"")
            #expect(await updater.refresh() == .updated(advisories: Self.bookwormAdvisories))
            let before = try FleetVulnerabilityReport.build(store: store)
            #expect(before.issues.allSatisfy { !$0.knownExploited })

            #expect(await updater.refreshKnownExploited() == .updated(advisories: 2))
            #expect(await updater.refreshKnownExploited() == .unchanged)
            server.kevAnswer = .status(502)
            guard case .failed(let reason) = await updater.refreshKnownExploited() else {
                Issue.record("a 502 was not a failure")
                return
            }
            #expect(reason.contains("HTTP 502"))
            #expect(server.kevRequests.map { $0["If-None-Match"] } == [nil, "\"k1\"", "\"k1\""])
            #expect(server.kevRequests.first?["User-Agent"]?.hasPrefix("vigil-hub/") == true)
            let kevState = try #require(try store.vulnerabilityFeedState(name: HubStore.knownExploitedFeedName))
            #expect(kevState.failure?.contains("HTTP 502") == true)
            #expect(kevState.advisories == 2, "the last good list stays")
            // What `bothub status` and /status say of it: the failure, and the list still in use.
            let text = VulnsListCommand.knownExploitedText(kevState, now: Date())
            #expect(text.hasPrefix("kev       LAST CHECK FAILED") && text.contains("HTTP 502"), "\(text)")
            #expect(text.contains("in use: 2 known-exploited CVEs"), "\(text)")
            let catalogs = try MessageCatalogs.load(directory: repositoryPath("translations"))
            let line = VulnerabilityReportRenderer(catalogs: catalogs, language: "en").knownExploitedLine(kevState, now: Date())
            #expect(line.hasPrefix("Known-exploited list (CISA KEV): the last check failed") && line.contains("HTTP 502"), "\(line)")

            let after = try FleetVulnerabilityReport.build(store: store)
            #expect(after.issues.first?.cve == "CVE-2024-0005", "the known-exploited CVE is ranked first")
            #expect(after.issues.filter(\.knownExploited).map(\.cve) == ["CVE-2024-0005"])
            #expect(before.issues.first?.cve != "CVE-2024-0005", "on its impact alone (low, open) it was not first")
        }
    }
}
