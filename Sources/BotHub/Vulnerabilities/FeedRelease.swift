import Shared

/// The feeds the hub reads, by the name their rows and state are stored under.
enum VulnerabilityFeed: String, Sendable, CaseIterable {
    /// The Debian security tracker's JSON: Debian hosts.
    case debianTracker = "debian-tracker"
    /// Canonical's OSV records (`osv-all.tar.xz`): Ubuntu hosts.
    case ubuntuOSV = "ubuntu-osv"
}

/// Which feed describes a host and the release key its advisories are stored and matched under: the codename for
/// Debian (`bookworm`, as the tracker names it), `ubuntu/<codename>` for Ubuntu, so that no two feeds' rows can ever
/// meet under one key.
struct FeedRelease: Hashable, Sendable {
    var feed: VulnerabilityFeed
    var key: String

    /// Nil when no feed describes the host: another distribution, or an Ubuntu host whose agent did not say its
    /// `VERSION_ID` (an older agent), without which its OSV ecosystem (`Ubuntu:24.04:LTS`) is unknown.
    init?(_ inventory: PackageInventory) {
        self.init(distribution: inventory.distribution, release: inventory.release, versionId: inventory.versionId)
    }

    /// The same from an inventory's `ID`, `VERSION_CODENAME` and `VERSION_ID` alone (as the store reads them).
    init?(distribution: String, release: String, versionId: String?) {
        switch distribution {
        case "debian":
            self.init(feed: .debianTracker, key: release)
        case "ubuntu":
            guard let versionId, Self.isUbuntuVersion(versionId) else { return nil }
            self.init(feed: .ubuntuOSV, key: Self.ubuntuKey(release))
        default:
            return nil
        }
    }

    init(feed: VulnerabilityFeed, key: String) {
        self.feed = feed
        self.key = key
    }

    static func ubuntuKey(_ codename: String) -> String { "ubuntu/\(codename)" }

    /// `24.04`: two dotted numbers, as every Ubuntu release's `VERSION_ID` is.
    static func isUbuntuVersion(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
