import FoundationEssentials
import Shared

/// `hub.vulnerabilities`: the known-vulnerability feed the hub downloads for the whole fleet. Off by default, because
/// it is the one part of the hub that fetches from a third party on its own schedule.
public struct VulnerabilitiesConfiguration: Sendable, Equatable {
    /// Whether the hub fetches the feed at all.
    public var enabled = false
    /// The Debian security tracker's JSON (a mirror, or a local server in tests).
    public var trackerURL = "https://security-tracker.debian.org/tracker/data/json"
    /// Canonical's OSV archive for Ubuntu hosts (fetched only while an Ubuntu agent has sent its inventory).
    public var ubuntuOSVURL = "https://security-metadata.canonical.com/osv/osv-all.tar.xz"
    /// How often the feed is checked (a conditional GET: an unchanged feed costs one small reply). At least an hour,
    /// as the tracker asks of automated clients.
    public var refreshInterval: Duration = .seconds(3_600)
    /// One download, connection included.
    public var timeout: Duration = .seconds(600)
    /// A larger download is refused rather than stored (the tracker's JSON is about 70 MB).
    public var maxFeedBytes = 512 << 20
    /// CISA's Known Exploited Vulnerabilities catalog (JSON); nil: not fetched. Its CVEs are flagged "known exploited"
    /// and ranked first.
    public var kevURL: String?

    public init() {}

    static func read(_ reader: ConfigReader) -> VulnerabilitiesConfiguration {
        var configuration = VulnerabilitiesConfiguration()
        configuration.enabled = reader.bool("enabled", default: false)
        configuration.trackerURL = reader.string("tracker_url", default: configuration.trackerURL)
        if !Self.isHTTPURL(configuration.trackerURL) { reader.problem("tracker_url", "not an http(s) URL") }
        configuration.ubuntuOSVURL = reader.string("ubuntu_osv_url", default: configuration.ubuntuOSVURL)
        if !Self.isHTTPURL(configuration.ubuntuOSVURL) { reader.problem("ubuntu_osv_url", "not an http(s) URL") }
        configuration.kevURL = reader.string("kev_url")
        if let kev = configuration.kevURL, !Self.isHTTPURL(kev) { reader.problem("kev_url", "not an http(s) URL") }
        configuration.refreshInterval = reader.duration("refresh", default: .seconds(3_600), in: .seconds(3_600)...(.seconds(7 * 86_400)))
        configuration.timeout = reader.duration("timeout", default: .seconds(600), in: .seconds(10)...(.seconds(3_600)))
        configuration.maxFeedBytes = reader.int("max_feed_mib", default: 512, in: 16...4_096) << 20
        reader.rejectUnknownKeys()
        return configuration
    }

    private static func isHTTPURL(_ text: String) -> Bool {
        (text.hasPrefix("https://") || text.hasPrefix("http://")) && URL(string: text)?.host != nil
    }
}
