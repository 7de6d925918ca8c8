import Shared

/// One source package's value in the Debian security tracker's JSON: `{CVE: {scope, releases: {codename: {…}}}}`,
/// decoded from the bytes `TrackerSplitter` hands out. Fields the hub does not use (description, debianbug, nodsa) are
/// skipped by the decoder.
struct TrackerPackageEntry: Decodable {
    struct Issue: Decodable {
        var scope: String?
        var releases: [String: Release]?
    }

    struct Release: Decodable {
        var status: String?
        var repositories: [String: String]?
        var fixedVersion: String?
        var urgency: String?
        var nodsaReason: String?

        private enum CodingKeys: String, CodingKey {
            case status, repositories, urgency
            case fixedVersion = "fixed_version"
            case nodsaReason = "nodsa_reason"
        }
    }

    var issues: [String: Issue]

    init(from decoder: any Decoder) throws {
        issues = try decoder.singleValueContainer().decode([String: Issue].self)
    }

    /// The advisories for `release`, in CVE order. An entry whose status is none of the tracker's three is refused
    /// (a format change must not turn into silence).
    func advisories(release: String) throws -> [Advisory] {
        var advisories: [Advisory] = []
        for (cve, issue) in issues {
            guard let entry = issue.releases?[release] else { continue }
            guard let statusText = entry.status, let status = Advisory.Status(rawValue: statusText) else {
                throw TrackerFeedError("\(cve): unknown status \(entry.status.map { "\"\($0)\"" } ?? "(missing)") for \(release)")
            }
            advisories.append(
                Advisory(
                    cve: cve, status: status, fixed: entry.fixedVersion.flatMap { $0.isEmpty ? nil : $0 }, urgency: Advisory.urgency(entry.urgency),
                    nodsaReason: entry.nodsaReason.flatMap { $0.isEmpty ? nil : $0 }, scope: issue.scope,
                    fixPublished: Self.published(fixed: entry.fixedVersion, in: entry.repositories)))
        }
        return advisories.sorted { $0.cve < $1.cve }
    }

    /// A version dpkg would refuse cannot be installed, so it publishes no fix.
    private static func published(fixed: String?, in repositories: [String: String]?) -> Bool {
        guard let fixed, let wanted = DebianVersion.parsed(fixed) else { return false }
        return (repositories ?? [:]).values.contains { text in DebianVersion.parsed(text).map { $0 >= wanted } ?? false }
    }
}
