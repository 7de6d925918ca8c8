import Foundation
import Shared
import Testing

@testable import BotHub

@Suite("security_updates messages")
struct SecurityUpdatesMessageTests {
    static func alert(sources: [PendingSource], pendingSources: Int, pendingPackages: Int, indexAge: Int?) -> Alert {
        Alert(
            id: UUID(uuidString: "6F1C2A3B-4D5E-4F60-8172-93A4B5C6D7E8")!, agent: "web-1", hostname: "web-1", kind: .securityUpdates,
            severity: .warning, observedAt: Date(timeIntervalSince1970: 1_800_000_000),
            subject: .securityUpdates(
                SecurityUpdatesEvidence(sources: sources, pendingSources: pendingSources, pendingPackages: pendingPackages, indexAgeSeconds: indexAge)
            ),
            actions: [.acknowledge])
    }

    static let openssl = PendingSource(
        source: "openssl", installed: "3.0.15-1~deb12u1", candidate: "3.0.17-1~deb12u2", packages: ["libssl3", "openssl"], held: false,
        needsReboot: false)
    static let kernel = PendingSource(
        source: "linux-signed-amd64", installed: "6.1.123-1", candidate: "6.1.140-1", packages: ["linux-image-6.1.0-30-amd64"], held: false,
        needsReboot: true)

    @Test("the totals, the index age and each new source with installed → candidate; the kernel says it needs a reboot")
    func rendersSummaryAndSources() throws {
        let catalogs = try MessageCatalogs.load(directory: repositoryPath("translations"))
        let alert = Self.alert(sources: [Self.kernel, Self.openssl], pendingSources: 39, pendingPackages: 90, indexAge: 6 * 3600)
        let rendered = AlertMessageRenderer(catalogs: catalogs).render(alert, shortID: "6f1c2a3b4d5e", language: "en")
        let lines = rendered.html.split(separator: "\n").map(String.init)
        #expect(lines[0].contains("<b>web-1</b>") && lines[0].contains("new security updates"))
        #expect(lines[1] == "🛡 39 security updates pending (90 packages) · index 6 h old")
        #expect(lines[2] == "<code>linux-signed-amd64</code> 6.1.123-1 → 6.1.140-1 (linux-image-6.1.0-30-amd64) · needs a reboot")
        #expect(lines[3] == "<code>openssl</code> 3.0.15-1~deb12u1 → 3.0.17-1~deb12u2 (libssl3, openssl)")
        // Without upgrade_packages offered (an agent with upgrades off): no Upgrade buttons, but the list and the snooze.
        #expect(
            rendered.keyboard.flatMap { $0 }.map(\.callbackData) == [
                "v1:acknowledge:6f1c2a3b4d5e", "v1:show_all:6f1c2a3b4d5e", "v1:snooze_7d:6f1c2a3b4d5e",
            ])
    }

    @Test("a stale index is said so; a long list is capped with a count of the rest; every language renders it")
    func staleAndCapped() throws {
        let catalogs = try MessageCatalogs.load(directory: repositoryPath("translations"))
        let many = (0..<25).map {
            PendingSource(source: "pkg\($0)", installed: "1.0-1", candidate: "1.0-2", packages: ["pkg\($0)"], held: $0 == 0, needsReboot: false)
        }
        let alert = Self.alert(sources: many, pendingSources: 25, pendingPackages: 25, indexAge: 3 * 86400)
        for language in ["en", "es"] {
            let html = AlertMessageRenderer(catalogs: catalogs).render(alert, shortID: "x", language: language).html
            #expect(html.contains("3 d"))
            #expect(html.split(separator: "\n").filter { $0.hasPrefix("<code>pkg") }.count == AlertMessageRenderer.securitySourcesShown)
            #expect(html.contains("15"))
            #expect(!html.contains("%{"))
        }
        let english = AlertMessageRenderer(catalogs: catalogs).render(alert, shortID: "x", language: "en").html
        #expect(english.contains("apt-get update"))
        #expect(english.contains("<code>pkg0</code> 1.0-1 → 1.0-2 (pkg0) · on hold"))
        #expect(english.contains("… and 15 more new"))
    }

    @Test("the evidence survives the wire: encoded and decoded with the security_updates discriminator")
    func wireRoundTrip() throws {
        let alert = Self.alert(sources: [Self.openssl], pendingSources: 1, pendingPackages: 2, indexAge: nil)
        let data = try WireCoding.encode(alert)
        #expect(String(decoding: data, as: UTF8.self).contains(#""type":"security_updates""#))
        #expect(try WireCoding.decode(Alert.self, from: data) == alert)
    }
}
