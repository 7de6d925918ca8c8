import Testing
import VigilTestSupport

@testable import BotHub
@testable import Shared

@Suite("hub.vulnerabilities configuration")
struct VulnerabilitiesConfigurationTests {
    static func parse(_ section: String) throws -> HubConfiguration {
        try HubConfiguration.parse(yaml: "hub:\n  state_dir: /var/lib/vigil-hub\n  vulnerabilities:\n\(section)\ntelegram: {}\n", environment: [:])
    }

    @Test("off by default, with the Debian tracker, hourly")
    func defaults() throws {
        let configuration = try HubConfiguration.parse(yaml: "telegram: {}\n", environment: [:])
        #expect(configuration.vulnerabilities == VulnerabilitiesConfiguration())
        #expect(!configuration.vulnerabilities.enabled)
        #expect(configuration.vulnerabilities.trackerURL == "https://security-tracker.debian.org/tracker/data/json")
        #expect(configuration.vulnerabilities.refreshInterval == .seconds(3_600))
        #expect(configuration.vulnerabilities.ubuntuOSVURL == "https://security-metadata.canonical.com/osv/osv-all.tar.xz")
    }

    @Test("every field is read")
    func read() throws {
        let configuration = try Self.parse(
            "    enabled: true\n    tracker_url: http://mirror.example/json\n    refresh: 6h\n    timeout: 2m\n    max_feed_mib: 128\n"
                + "    ubuntu_osv_url: https://mirror.example/osv-all.tar.xz")
        #expect(configuration.vulnerabilities.enabled)
        #expect(configuration.vulnerabilities.trackerURL == "http://mirror.example/json")
        #expect(configuration.vulnerabilities.refreshInterval == .seconds(6 * 3_600))
        #expect(configuration.vulnerabilities.timeout == .seconds(120))
        #expect(configuration.vulnerabilities.maxFeedBytes == 128 << 20)
        #expect(configuration.vulnerabilities.ubuntuOSVURL == "https://mirror.example/osv-all.tar.xz")
    }

    @Test("bad values are refused naming the field: a non-URL, polling faster than hourly, a misspelt key")
    func refused() {
        do {
            _ = try Self.parse("    tracker_url: ftp://x\n    refresh: 10m\n    enabeld: true\n    ubuntu_osv_url: file:///tmp/osv.tar.xz")
            Issue.record("a bad section was accepted")
        } catch let error as ConfigError {
            let found = error.problems.map(\.description)
            #expect(found.contains("hub.vulnerabilities.tracker_url: not an http(s) URL"))
            #expect(found.contains("hub.vulnerabilities.ubuntu_osv_url: not an http(s) URL"))
            #expect(found.contains { $0.hasPrefix("hub.vulnerabilities.refresh:") })
            #expect(found.contains { $0.hasPrefix("hub.vulnerabilities.enabeld: unknown field") })
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
