import Foundation
import Logging
import Shared
import Testing
import VigilTestSupport

@testable import BotHub

@Suite("Ubuntu's OSV records: read per release ecosystem, streamed from the real archive format, beside Debian's tracker")
struct UbuntuOSVFeedTests {
    static let ecosystems = UbuntuOSVRecord.ecosystems(versions: ["ubuntu/noble": "24.04", "ubuntu/jammy": "22.04"])

    static func record(_ path: String) throws -> UbuntuOSVRecord {
        try JSONDecoder().decode(UbuntuOSVRecord.self, from: Data(try #require(UbuntuOSVFixture.records[path]).utf8))
    }

    @Test("a fixed version is resolved and published, its CVSS vector scored; no fixed event is open; other releases are not read")
    func recordRules() throws {
        let fixed = try Self.record("osv/cve/2024/UBUNTU-CVE-2024-1001.json").advisories(in: Self.ecosystems)
        #expect(fixed.map(\.release) == ["ubuntu/jammy", "ubuntu/noble"])
        let noble = try #require(fixed.last?.advisories.first)
        #expect(noble.cve == "CVE-2024-1001" && noble.status == .resolved && noble.fixed == "3.0.13-0ubuntu3.4")
        #expect(noble.fixPublished && noble.score == 9.8 && noble.urgency == "high")

        let open = try #require(try Self.record("osv/cve/2024/UBUNTU-CVE-2024-1002.json").advisories(in: Self.ecosystems).first?.advisories.first)
        #expect(open.status == .open && open.fixed == nil && !open.fixPublished && open.score == nil && open.urgency == "medium")

        #expect(try Self.record("osv/cve/2024/UBUNTU-CVE-2024-1006.json").advisories(in: Self.ecosystems).isEmpty, "focal only")
        #expect(try Self.record("osv/cve/2024/UBUNTU-CVE-2024-1004.json").advisories(in: Self.ecosystems).isEmpty, "withdrawn")
        #expect(try Self.record("osv/usn/USN-7000-1.json").advisories(in: Self.ecosystems).isEmpty, "a notice is not a CVE record")

        let unscored = try #require(try Self.record("osv/cve/2024/UBUNTU-CVE-2024-1007.json").advisories(in: Self.ecosystems).first?.advisories.first)
        #expect(unscored.score == nil && unscored.urgency == "critical" && unscored.fixed == "8.5.0-2ubuntu10.5")
        #expect(FleetVulnerabilityReport.weight(urgency: "critical", score: nil) >= 9)
    }

    @Test("a fix only in Ubuntu Pro stands in for the release's 'no fix', marked unpublished; the release's own fix wins over Pro's")
    func proPrecedence() throws {
        let older = try Self.record("osv/cve/2024/CVE-2024-1003.json").advisories(in: Self.ecosystems)
        let zlib = try #require(older.first?.advisories.first)
        #expect(older.count == 1 && zlib.cve == "CVE-2024-1003")
        #expect(zlib.status == .resolved && zlib.fixed == "1:1.3.dfsg-3.1ubuntu2.1+esm1" && !zlib.fixPublished)
        #expect(zlib.urgency == "low" && zlib.score == 5.5)

        func entry(_ ecosystem: String, fixed: String?) -> String {
            let events = fixed.map { #"[{"introduced": "0"}, {"fixed": "\#($0)"}]"# } ?? #"[{"introduced": "0"}]"#
            return #"{"package": {"ecosystem": "\#(ecosystem)", "name": "pkg"}, "ranges": [{"type": "ECOSYSTEM", "events": \#(events)}]}"#
        }
        func chosen(_ entries: [String]) throws -> Advisory? {
            let json = #"{"id": "UBUNTU-CVE-2025-1", "affected": [\#(entries.joined(separator: ","))]}"#
            return try JSONDecoder().decode(UbuntuOSVRecord.self, from: Data(json.utf8)).advisories(in: Self.ecosystems).first?.advisories.first
        }
        // In either order of the entries.
        for order in [false, true] {
            func ordered(_ pair: [String]) -> [String] { order ? pair.reversed() : pair }
            let ownFix = try chosen(ordered([entry("Ubuntu:24.04:LTS", fixed: "1.0-1"), entry("Ubuntu:Pro:24.04:LTS", fixed: "1.0-1+esm1")]))
            #expect(ownFix?.fixed == "1.0-1" && ownFix?.fixPublished == true)
            let proFix = try chosen(ordered([entry("Ubuntu:24.04:LTS", fixed: nil), entry("Ubuntu:Pro:24.04:LTS", fixed: "1.0-1+esm1")]))
            #expect(proFix?.fixed == "1.0-1+esm1" && proFix?.fixPublished == false)
            let none = try chosen(ordered([entry("Ubuntu:24.04:LTS", fixed: nil), entry("Ubuntu:Pro:24.04:LTS", fixed: nil)]))
            #expect(none?.status == .open)
        }
        // A non-LTS release is named without the suffix; FIPS and realtime streams are not a host's archive.
        #expect(try chosen([entry("Ubuntu:24.04", fixed: "1.0-2")])?.fixed == "1.0-2")
        #expect(try chosen([entry("Ubuntu:Pro:FIPS-updates:24.04:LTS", fixed: "1.0-3")]) == nil)
    }

    @Test("concatenated records split the same whatever the chunk size, braces and quotes inside strings included")
    func splitterChunks() throws {
        let records = UbuntuOSVFixture.records.keys.sorted().compactMap { UbuntuOSVFixture.records[$0] }
        let stream = Array(records.joined(separator: "\n").utf8) + Array("\n".utf8)
        func split(chunk: Int) throws -> [[UInt8]] {
            var splitter = JSONDocumentSplitter()
            var documents: [[UInt8]] = []
            var start = 0
            while start < stream.count {
                let end = min(start + chunk, stream.count)
                try stream[start..<end].withUnsafeBytes { try splitter.feed($0) { documents.append($0) } }
                start = end
            }
            try splitter.finish()
            return documents
        }
        let whole = try split(chunk: stream.count)
        #expect(whole.count == records.count)
        #expect(whole.map { String(decoding: $0, as: UTF8.self) } == records.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        for chunk in [1, 2, 3, 7, 64, 1000] { #expect(try split(chunk: chunk) == whole, "chunk \(chunk)") }
    }

    @Test("a truncated stream, bytes that are no object, and an object over the limit are refused with where")
    func splitterRefuses() {
        func feed(_ text: String, limit: Int = 1 << 20) throws {
            var splitter = JSONDocumentSplitter(maxDocumentBytes: limit)
            try Array(text.utf8).withUnsafeBytes { try splitter.feed($0) { _ in } }
            try splitter.finish()
        }
        #expect(throws: JSONDocumentSplitter.SplitError.self) { try feed(#"{"id": "a", "x": {"#) }
        #expect(throws: JSONDocumentSplitter.SplitError.self) { try feed(#"{"id": "a"} garbage"#) }
        #expect(throws: JSONDocumentSplitter.SplitError.self) { try feed(#"{"id": "\#(String(repeating: "x", count: 200))"}"#, limit: 100) }
        #expect(throws: Never.self) { try feed(#"{"id": "a\"}{"} {"id": "b"}"#) }
    }

    /// A store with a Debian host, a noble and a jammy host; the loopback server; the updater pointed at the server
    /// for both feeds (`/tracker.json` answers whatever the test sets: first the tracker JSON, then the archive).
    static func withFleet(_ body: @Sendable (FeedUpdater, FeedServer, HubStore) async throws -> Void) async throws {
        let store = try HubStore.inMemory()
        try await store.saveInventory(FeedUpdaterTests.inventory(), receivedAt: Date())
        try await store.saveInventory(UbuntuOSVFixture.nobleInventory(), receivedAt: Date())
        try await store.saveInventory(UbuntuOSVFixture.jammyInventory(), receivedAt: Date())
        let directory = try TemporaryDirectory("vigil-feed")
        defer { directory.remove() }
        let server = FeedServer()
        try await server.serve { url in
            var updater = FeedUpdaterTests.updater(url: url, store: store, directory: directory.path)
            var configuration = updater.configuration
            configuration.ubuntuOSVURL = url
            updater = FeedUpdater(
                configuration: configuration, store: store, workDirectory: directory.path, logger: Logger(label: "test"), now: Date.init)
            try await body(updater, server, store)
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(left.isEmpty, "the downloads and tar's error file are removed: \(left)")
    }

    @Test(
        "the real archive format end to end: Ubuntu hosts matched by their VERSION_ID's ecosystem, scored, ranked; Debian's rows untouched; a broken archive keeps the last good copy",
        .enabled(if: ["/usr/bin/tar", "/usr/bin/xz"].allSatisfy(FileManager.default.isExecutableFile(atPath:)), "needs /usr/bin/tar and xz"))
    func endToEnd() async throws {
        let archive = try await UbuntuOSVFixture.archive()
        try await Self.withFleet { updater, server, store in
            server.answer = .feed(Array(TrackerFixture.feed.utf8), etag: "\"tracker\"")
            #expect(await updater.refresh() == .updated(advisories: FeedUpdaterTests.bookwormAdvisories))
            server.answer = .conditional(archive, etag: "\"osv-1\"")
            #expect(await updater.refreshUbuntu() == .updated(advisories: UbuntuOSVFixture.storedAdvisories))
            #expect(await updater.refreshUbuntu() == .unchanged)
            #expect(server.requests.last?["If-None-Match"] == "\"osv-1\"")

            let report = try FleetVulnerabilityReport.build(store: store)
            #expect(report.uncovered.isEmpty)
            let hosts = Dictionary(uniqueKeysWithValues: report.hosts.map { ($0.agent, $0) })
            #expect(hosts["web-1"]?.cves == 5, "Debian's findings survive the Ubuntu refresh")
            #expect(hosts["web-4"]?.cves == 4 && hosts["web-4"]?.high == 2)
            #expect(hosts["old-2"]?.cves == 1 && hosts["old-2"]?.release == "jammy")
            let first = try #require(report.issues.first)
            #expect(first.cve == "CVE-2024-1001" && first.score == 9.8 && first.hosts == ["old-2", "web-4"])
            #expect(first.fixes == ["old-2": "3.0.2-0ubuntu1.18", "web-4": "3.0.13-0ubuntu3.4"])
            let zlib = try #require(report.issues.first { $0.cve == "CVE-2024-1003" })
            #expect(zlib.fixed == "1:1.3.dfsg-3.1ubuntu2.1+esm1" && zlib.score == 5.5)
            #expect(!report.issues.contains { ["CVE-2024-1004", "CVE-2024-1005", "CVE-2024-1006"].contains($0.cve) })

            let ubuntu = try #require(try store.vulnerabilityFeedState(name: VulnerabilityFeed.ubuntuOSV.rawValue))
            #expect(ubuntu.releases == ["ubuntu/jammy", "ubuntu/noble"] && ubuntu.advisories == UbuntuOSVFixture.storedAdvisories)
            #expect(try store.vulnerabilityFeedState()?.advisories == FeedUpdaterTests.bookwormAdvisories)
            let catalogs = try MessageCatalogs.load(directory: repositoryPath("translations"))
            #expect(
                VulnerabilityReportRenderer(catalogs: catalogs, language: "en").ubuntuFeedLine(ubuntu, now: Date()).hasPrefix(
                    "Ubuntu OSV feed: 6 advisories for ubuntu/jammy, ubuntu/noble, checked"))
            #expect(VulnsListCommand.ubuntuFeedText(ubuntu, now: Date()).hasPrefix("ubuntu    6 advisories for ubuntu/jammy, ubuntu/noble"))

            // An archive cut short: tar fails, the reason is kept, the rows stay.
            server.answer = .feed(Array(archive.prefix(archive.count / 2)), etag: "\"osv-2\"")
            guard case .failed(let reason) = await updater.refreshUbuntu() else {
                Issue.record("a truncated archive was stored")
                return
            }
            #expect(reason.contains("tar could not read the archive"), "\(reason)")
            #expect(try store.vulnerabilityFeedState(name: VulnerabilityFeed.ubuntuOSV.rawValue)?.failure?.contains("tar") == true)
            #expect(try FleetVulnerabilityReport.build(store: store).hosts.first { $0.agent == "web-4" }?.cves == 4)
            // And the Debian refresh after it leaves the Ubuntu rows alone.
            server.answer = .feed(Array(TrackerFixture.feed.utf8), etag: "\"tracker-2\"")
            #expect(await updater.refresh() == .updated(advisories: FeedUpdaterTests.bookwormAdvisories))
            #expect(try store.advisories(release: "ubuntu/noble", sources: ["openssl", "curl", "zlib"]).values.map(\.count).reduce(0, +) == 5)
        }
    }

    @Test("no Ubuntu host that names its VERSION_ID: nothing is downloaded, and the old agent's host is listed as not covered")
    func noUbuntuNoDownload() async throws {
        let store = try HubStore.inMemory()
        try await store.saveInventory(FeedUpdaterTests.inventory(), receivedAt: Date())
        try await store.saveInventory(UbuntuOSVFixture.nobleInventory(agent: "web-3", versionId: nil), receivedAt: Date())
        let directory = try TemporaryDirectory("vigil-feed")
        defer { directory.remove() }
        let server = FeedServer()
        try await server.serve { url in
            var configuration = VulnerabilitiesConfiguration()
            configuration.ubuntuOSVURL = url
            let updater = FeedUpdater(
                configuration: configuration, store: store, workDirectory: directory.path, logger: Logger(label: "test"), now: Date.init)
            #expect(await updater.refreshUbuntu() == .skipped)
            #expect(server.requests.isEmpty)
        }
        #expect(try store.fleetUbuntuReleases().isEmpty)
        #expect(try FleetVulnerabilityReport.build(store: store).uncovered.map(\.agent) == ["web-3"])
    }
}
