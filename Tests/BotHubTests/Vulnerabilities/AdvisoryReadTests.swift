import Foundation
import Shared
import Testing

@testable import BotHub

/// The advisories read for matching leave in SQLite the rows the matcher would never report: that is only sound if
/// the SQL condition and the matcher's rules agree on every kind of row.
@Suite("Stored advisories read for matching")
struct AdvisoryReadTests {
    @Test("rows left in SQLite change no finding, at any installed version; undetermined, fixed 0 and ignored stay out")
    func filterAgreesWithMatcher() throws {
        let store = try HubStore.inMemory()
        var advisories: [Advisory] = []
        for status in Advisory.Status.allCases {
            for fixed in [nil, "0", "1.0-1", "2.0-1", "not a version!"] as [String?] {
                for reason in [nil, "", "ignored", "postponed"] as [String?] {
                    advisories.append(
                        Advisory(
                            cve: "CVE-2024-\(10_000 + advisories.count)", status: status, fixed: fixed, urgency: "high", nodsaReason: reason,
                            scope: nil, fixPublished: false))
                }
            }
        }
        try store.stageAdvisories([TrackerFeedReader.Entry(release: "bookworm", source: "pkg", advisories: advisories)])
        #expect(try store.promoteStagedAdvisories(VulnerabilityFeedState(releases: ["bookworm"], advisories: 0)) == advisories.count)

        let read = try store.advisories(release: "bookworm", sources: ["pkg", "absent"])
        #expect(Set(read.keys) == ["pkg"])
        let kept = read["pkg"] ?? []
        #expect(!kept.contains { $0.status == .undetermined })
        #expect(!kept.contains { $0.status == .resolved && ($0.fixed == nil || $0.fixed == "0") })
        #expect(!kept.contains { $0.status == .open && $0.nodsaReason == "ignored" })
        #expect(kept.count == 3 * 4 + 5 * 3, "resolved with a fixed version (3 × 4 reasons); open, not ignored (5 × 3)")
        for installed in ["0.5-1", "1.0-1", "1.5-1", "3.0-1"] {
            let version = try #require(DebianVersion.parsed(installed))
            let fromEveryRow = VulnerabilityMatcher.findings(installed: [("pkg", version)]) { _ in advisories }
            let fromRowsRead = VulnerabilityMatcher.findings(installed: [("pkg", version)]) { _ in kept }
            #expect(!fromEveryRow.isEmpty)
            #expect(fromRowsRead == fromEveryRow, "installed \(installed)")
        }
    }
}
