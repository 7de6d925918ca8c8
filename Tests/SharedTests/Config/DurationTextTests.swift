import Shared
import Testing
import VigilTestSupport

/// One formatter for durations people read: two largest units, compact for logs and the terminal, spaced for chats.
@Suite("Duration text")
struct DurationTextTests {
    @Test(
        "two largest units, compact",
        arguments: [(0, "0ms"), (42, "42s"), (60, "1m"), (119, "1m59s"), (3600, "1h"), (86_399, "23h59m"), (97_200, "1d3h")] as [(Int64, String)])
    func compact(seconds: Int64, text: String) {
        #expect(DurationText.describe(.seconds(seconds)) == text)
    }

    @Test(
        "spaced for messages, with min for minutes",
        arguments: [(0, "0 s"), (25, "25 s"), (3900, "1 h 5 min"), (97_200, "1 d 3 h")] as [(Int64, String)])
    func spaced(seconds: Int64, text: String) {
        #expect(DurationText.describe(.seconds(seconds), style: .spaced) == text)
    }

    @Test("under a second in milliseconds")
    func subSecond() {
        #expect(DurationText.describe(.milliseconds(250)) == "250ms")
    }

    @Test("the configuration form parses back")
    func roundTrip() {
        for seconds: Int64 in [1, 90, 300, 5400, 86_400] {
            #expect(DurationText.parse(DurationText.format(.seconds(seconds))) == .seconds(seconds))
        }
    }
}
