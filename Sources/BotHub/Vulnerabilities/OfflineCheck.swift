import Shared

/// `bothub vulns check`'s work, without the printing: a dpkg status file matched against a tracker-format feed for one
/// release, as debsecan does, with nothing sent anywhere.
struct OfflineCheck {
    var feedPath: String
    var release: String
    var statusPath: String

    /// The findings, and the status stanzas whose versions dpkg would refuse (named, so the caller can warn).
    func run() throws -> (findings: [VulnerabilityFinding], refused: [String]) {
        let status: (packages: [InstalledPackage], refused: [String])
        do {
            status = try DpkgStatusReader(path: statusPath).read()
        } catch {
            throw TrackerFeedError(error.description)
        }
        let installed = status.packages.map { (source: $0.source, version: $0.sourceVersion) }
        let sources = Set(installed.map(\.source))
        var advisories: [String: [Advisory]] = [:]
        // Only the installed sources are decoded: the rest of the feed is skipped as bytes.
        let reader = TrackerFeedReader(releases: [release], wantsSource: { sources.contains($0) })
        try reader.read(path: feedPath) { entry in advisories[entry.source, default: []] += entry.advisories }
        let findings = VulnerabilityMatcher.findings(installed: installed) { advisories[$0] ?? [] }
        return (findings, status.refused)
    }
}
