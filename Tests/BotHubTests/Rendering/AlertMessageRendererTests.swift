import Foundation
import Shared
import Testing

@testable import BotHub

@Suite("Alert messages")
struct AlertMessageRendererTests {
    static let catalogs = MessageCatalogs([
        MessageCatalog(
            language: "en",
            templates: [
                "alert.headline": "%{severity} <b>%{host}</b>: %{title}",
                "alert.observed_at": "at %{time}",
                "evidence.ssh_session": "%{user} from %{ip}:%{port} by %{method} pid %{pid}",
                "severity.warning": "Warning",
                "kind.ssh_session": "new SSH session",
                "action.kill_session": "Kill",
                "action.block_ip_1h": "Block 1 h",
                "action.acknowledge": "OK",
            ]
        )
    ])

    static func sshAlert(user: String = "root", hostname: String = "web-1") -> Alert {
        Alert(
            id: UUID(uuidString: "6F1C2A3B-4D5E-4F60-8172-93A4B5C6D7E8")!,
            agent: "web-1",
            hostname: hostname,
            kind: .sshSession,
            severity: .warning,
            observedAt: Date(timeIntervalSince1970: 1_800_000_000),
            subject: .sshSession(SSHSessionEvidence(user: user, ip: "203.0.113.9", port: 52_113, method: "publickey", pid: 4242, pidStartTime: 99)),
            actions: [.acknowledge, .killSession, .blockIP1h]
        )
    }

    @Test("an alert renders its host, evidence and time, with one button per offered action")
    func rendersEvidenceAndButtons() {
        let rendered = AlertMessageRenderer(catalogs: Self.catalogs).render(Self.sshAlert(), shortID: "6f1c2a3b4d5e", language: "en")
        #expect(
            rendered.html == """
                Warning <b>web-1</b>: new SSH session
                root from 203.0.113.9:52113 by publickey pid 4242
                at 2027-01-15 08:00 UTC
                """)
        #expect(
            rendered.keyboard.flatMap { $0 }.map(\.callbackData) == [
                "v1:acknowledge:6f1c2a3b4d5e", "v1:kill_session:6f1c2a3b4d5e", "v1:block_ip_1h:6f1c2a3b4d5e",
            ])
        #expect(rendered.keyboard.map(\.count) == [2, 1])
    }

    @Test("an IPv6 network alert shows the addresses seen in it; a single-address alert has no such line")
    func networkAddresses() {
        let catalogs = MessageCatalogs([
            MessageCatalog(
                language: "en",
                templates: [
                    "alert.headline": "%{severity} <b>%{host}</b>: %{title}",
                    "alert.observed_at": "at %{time}",
                    "evidence.http_404": "%{ip}: %{count} in %{window}",
                    "evidence.network_addresses": "seen: %{addresses}",
                    "severity.warning": "Warning",
                    "kind.http_404_burst": "404 burst",
                ]
            )
        ])
        func alert(_ evidence: HTTP404Evidence) -> Alert {
            Alert(
                id: UUID(uuidString: "6F1C2A3B-4D5E-4F60-8172-93A4B5C6D7E8")!, agent: "web-1", hostname: "web-1", kind: .http404Burst,
                severity: .warning, observedAt: Date(timeIntervalSince1970: 1_800_000_000), subject: .http404(evidence), actions: [])
        }
        let network = HTTP404Evidence(
            ip: "2001:db8:1:2::/64", count: 20, distinctPaths: 3, samplePaths: [], windowSeconds: 60,
            addresses: ["2001:db8:1:2::1", "2001:db8:1:2::<b>"])
        let rendered = AlertMessageRenderer(catalogs: catalogs).render(alert(network), shortID: "6f1c2a3b4d5e", language: "en")
        #expect(rendered.html.contains("\nseen: 2001:db8:1:2::1, 2001:db8:1:2::&lt;b&gt;\n"))
        let single = HTTP404Evidence(ip: "2001:db8::7", count: 20, distinctPaths: 3, samplePaths: [], windowSeconds: 60)
        #expect(!AlertMessageRenderer(catalogs: catalogs).render(alert(single), shortID: "6f1c2a3b4d5e", language: "en").html.contains("seen:"))
    }

    @Test("values from logs are HTML-escaped, so a hostile user name cannot inject markup")
    func escapesValues() {
        let rendered = AlertMessageRenderer(catalogs: Self.catalogs).render(
            Self.sshAlert(user: "<a href=\"x\">&", hostname: "<b>"), shortID: "0123456789ab", language: "en")
        #expect(rendered.html.contains("&lt;a href=&quot;x&quot;&gt;&amp; from"))
        #expect(rendered.html.contains("<b>&lt;b&gt;</b>"))
    }

    @Test("callback data stays within Telegram's 64-byte limit for every action")
    func callbackDataFits() {
        var alert = Self.sshAlert()
        alert.actions = AlertAction.allCases
        let rendered = AlertMessageRenderer(catalogs: Self.catalogs).render(alert, shortID: ShortID.make(alert.id), language: "en")
        #expect(rendered.keyboard.flatMap { $0 }.allSatisfy { $0.callbackData.utf8.count <= 64 })
    }

    @Test("a new listener renders what opened, who holds it, its package and why it is critical, escaped, in every language")
    func newListener() throws {
        let catalogs = try MessageCatalogs.builtIn()
        let alert = Alert(
            agent: "web-1", hostname: "web-1", kind: .newListener, severity: .critical, observedAt: Date(timeIntervalSince1970: 1_800_000_000),
            subject: .listener(
                ListenerEvidence(
                    transport: "tcp", address: "0.0.0.0", port: 4444, scope: "any", pid: 4242, pidStartTime: 7, user: "www-data",
                    process: "socat", exe: "/tmp/.x/socat (deleted)", commandLine: "socat TCP-LISTEN:4444 EXEC:<sh>", unit: "nginx.service",
                    reasons: ["runs from /tmp", "reachable on every address"])),
            actions: [.acknowledge])
        for language in ["en", "es"] {
            let html = AlertMessageRenderer(catalogs: catalogs).render(alert, shortID: "6f1c2a3b4d5e", language: language).html
            for needle in [
                "<code>0.0.0.0</code>", "4444", "4242", "www-data", "/tmp/.x/socat (deleted)", "EXEC:&lt;sh&gt;", "nginx.service", "runs from /tmp",
            ] {
                #expect(html.contains(needle), "\(language): \(needle) in \(html)")
            }
        }
        let english = AlertMessageRenderer(catalogs: catalogs).render(alert, shortID: "6f1c2a3b4d5e", language: "en").html
        #expect(english.contains("new listening service"))
    }
}
