import Foundation
import Shared
import Testing

@testable import BotHub

@Suite("Message times")
struct MessageTimeTests {
    static let catalogs = MessageCatalogs([
        MessageCatalog(
            language: "en", templates: ["time.ago": "%{span} ago", "time.last_minute": "the last minute", "time.last": "the last %{span}"]),
        MessageCatalog(
            language: "es", templates: ["time.ago": "hace %{span}", "time.last_minute": "el último minuto", "time.last": "los últimos %{span}"]),
    ])

    @Test("one instant format everywhere: minutes in UTC for messages, seconds for the terminal")
    func instants() {
        let date = Date(timeIntervalSince1970: 1_800_000_007)
        #expect(MessageTime.format(date) == "2027-01-15 08:00 UTC")
        #expect(MessageTime.precise(date) == "2027-01-15 08:00:07 UTC")
    }

    @Test(
        "spans in their two largest units, spaced",
        arguments: [
            (0.0, "0 s"), (25, "25 s"), (60, "1 min"), (119, "1 min 59 s"), (3600, "1 h"), (3900, "1 h 5 min"), (86_400, "1 d"), (97_200, "1 d 3 h"),
        ])
    func spans(seconds: Double, text: String) {
        #expect(MessageTime.span(seconds) == text)
    }

    @Test("ages and windows read naturally in each language")
    func agesAndWindows() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(MessageTime.ago(now.addingTimeInterval(-25), now: now, catalogs: Self.catalogs, language: "en") == "25 s ago")
        #expect(MessageTime.ago(now.addingTimeInterval(-25), now: now, catalogs: Self.catalogs, language: "es") == "hace 25 s")
        #expect(MessageTime.lastWindow(seconds: 60, catalogs: Self.catalogs, language: "es") == "el último minuto")
        #expect(MessageTime.lastWindow(seconds: 300, catalogs: Self.catalogs, language: "en") == "the last 5 min")
    }
}
