import Shared

/// One of Canonical's OSV records (`osv/cve/…/UBUNTU-CVE-….json` in `osv-all.tar.xz`), the fields the hub reads:
/// per release ecosystem (`Ubuntu:24.04:LTS`) the source package, the version that fixed it if any, Ubuntu's priority
/// and the CVSS vector. Canonical's mapping of its tracker to OSV: a package not affected in a release is not listed;
/// a listed one without a `fixed` event is vulnerable (needed, deferred, ignored, pending, needs-triage); with one,
/// fixed in that version.
struct UbuntuOSVRecord: Decodable {
    struct Severity: Decodable {
        var type: String
        var score: String
    }

    struct Affected: Decodable {
        struct Package: Decodable {
            var ecosystem: String
            var name: String
        }

        struct Range: Decodable {
            struct Event: Decodable {
                var fixed: String?
            }

            var type: String?
            var events: [Event]?
        }

        struct Specific: Decodable {
            var ubuntuPriority: String?

            private enum CodingKeys: String, CodingKey {
                case ubuntuPriority = "ubuntu_priority"
            }
        }

        var package: Package
        var ranges: [Range]?
        var ecosystemSpecific: Specific?

        private enum CodingKeys: String, CodingKey {
            case package, ranges
            case ecosystemSpecific = "ecosystem_specific"
        }

        /// The version that fixed the package in this ecosystem, if any.
        var fixed: String? {
            for range in ranges ?? [] where range.type == nil || range.type == "ECOSYSTEM" {
                if let fixed = range.events?.compactMap(\.fixed).last, !fixed.isEmpty { return fixed }
            }
            return nil
        }
    }

    var id: String
    /// Set when Canonical withdrew the record (a rejected CVE): it describes nothing any more.
    var withdrawn: String?
    var severity: [Severity]?
    var affected: [Affected]?

    /// The CVE a record is about: `UBUNTU-CVE-2024-1234` (and older records' plain `CVE-2024-1234`); nil for the
    /// notices (`USN-…`, `LSN-…`) the archive also holds, which announce fixes the CVE records already carry.
    var cve: String? {
        if id.hasPrefix("UBUNTU-CVE-") { return String(id.dropFirst("UBUNTU-".count)) }
        return id.hasPrefix("CVE-") ? id : nil
    }

    /// Where a release's advisories come from: its own ecosystem, or Ubuntu Pro's (ESM) for the same version.
    struct Ecosystem {
        var releaseKey: String
        /// A fix published only to Ubuntu Pro subscribers: not installable from the release's own archive.
        var pro: Bool
    }

    /// The ecosystems of the releases wanted, keyed by their name in the records: `Ubuntu:24.04:LTS` and `Ubuntu:24.04`
    /// (a non-LTS release), and `Ubuntu:Pro:24.04:LTS`.
    static func ecosystems(versions: [String: String]) -> [String: Ecosystem] {
        var ecosystems: [String: Ecosystem] = [:]
        for (key, version) in versions {
            ecosystems["Ubuntu:\(version):LTS"] = Ecosystem(releaseKey: key, pro: false)
            ecosystems["Ubuntu:\(version)"] = Ecosystem(releaseKey: key, pro: false)
            ecosystems["Ubuntu:Pro:\(version):LTS"] = Ecosystem(releaseKey: key, pro: true)
        }
        return ecosystems
    }

    /// The record's advisories for the wanted ecosystems, one per (release key, source package). The release's own
    /// entry decides, except that a fix published only in Ubuntu Pro stands in for "no fix" (the host may subscribe;
    /// one that does not stays vulnerable, the fix marked as not in its archive). An unparsable CVSS vector leaves the
    /// score to the priority rather than dropping the CVE.
    func advisories(in ecosystems: [String: Ecosystem]) -> [FeedEntry] {
        guard withdrawn == nil, let cve else { return [] }
        let score = (severity ?? []).lazy.filter { $0.type == "CVSS_V3" }.compactMap { try? CVSSScore(vector: $0.score).base }.first
        let recordPriority = (severity ?? []).first { $0.type == "Ubuntu" }?.score
        var chosen: [Key: (advisory: Advisory, pro: Bool)] = [:]
        for entry in affected ?? [] {
            guard let ecosystem = ecosystems[entry.package.ecosystem] else { continue }
            let key = Key(release: ecosystem.releaseKey, source: entry.package.name)
            let fixed = entry.fixed
            let advisory = Advisory(
                cve: cve, status: fixed == nil ? .open : .resolved, fixed: fixed,
                urgency: Advisory.urgency(recordPriority ?? entry.ecosystemSpecific?.ubuntuPriority), nodsaReason: nil, scope: nil,
                fixPublished: fixed != nil && !ecosystem.pro, score: score)
            if let earlier = chosen[key], !Self.prefers((advisory, ecosystem.pro), over: earlier) { continue }
            chosen[key] = (advisory, ecosystem.pro)
        }
        return chosen.keys.sorted { ($0.release, $0.source) < ($1.release, $1.source) }.compactMap { key in
            chosen[key].map { FeedEntry(release: key.release, source: key.source, advisories: [$0.advisory]) }
        }
    }

    /// The release's own entry wins over Pro's, unless it has no fix and Pro has one.
    private static func prefers(_ new: (advisory: Advisory, pro: Bool), over earlier: (advisory: Advisory, pro: Bool)) -> Bool {
        switch (earlier.pro, new.pro) {
        case (true, false): new.advisory.fixed != nil || earlier.advisory.fixed == nil
        case (false, true): earlier.advisory.fixed == nil && new.advisory.fixed != nil
        default: false
        }
    }

    private struct Key: Hashable {
        var release: String
        var source: String
    }
}
