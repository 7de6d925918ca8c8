import Foundation
import Shared
import Testing

@testable import BotHub

/// The times `agents.yml` keeps a retired key's end in.
@Suite("YAML timestamps")
struct YAMLTimestampTests {
    @Test("a time is written in UTC with its nanoseconds and reads back never later, and at most a microsecond earlier")
    func roundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        let samples =
            [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 1_900_000_000.5), Date()]
            + (0..<2000).map { _ in Date(timeIntervalSince1970: Double.random(in: 0...4_000_000_000, using: &generator)) }
        for date in samples {
            let text = YAMLTimestamp.format(date)
            let read = try #require(YAMLTimestamp.parse(text), "\(text)")
            #expect(read <= date, "\(text)")
            #expect(date.timeIntervalSince(read) < 1e-6, "\(text)")
        }
        #expect(YAMLTimestamp.format(Date(timeIntervalSince1970: 1_900_000_000.5)) == "2030-03-17T17:46:40.5Z")
        #expect(YAMLTimestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
    }

    @Test("the forms YAML allows read: as the Yams-based hub wrote them, with an offset, with a space, a date alone")
    func forms() {
        let base = Date(timeIntervalSince1970: 1_764_470_452)  // 2025-11-30T02:40:52Z
        #expect(YAMLTimestamp.parse("2025-11-30T02:40:52Z") == base)
        #expect(abs((YAMLTimestamp.parse("2025-11-30T02:40:52.123456789Z")?.timeIntervalSince(base) ?? 0) - 0.123456789) < 1e-6)
        #expect(YAMLTimestamp.parse("2025-11-30T03:40:52+01:00") == base)
        #expect(YAMLTimestamp.parse("2025-11-29T21:40:52 -5") == base)
        #expect(YAMLTimestamp.parse("2025-11-30 02:40:52") == base)
        #expect(YAMLTimestamp.parse("2025-11-30") == Date(timeIntervalSince1970: 1_764_460_800))
        for text in ["", "2025-11-31T00:00:00Z", "2025-13-01", "2025-11-30T24:00:00Z", "2025-11-30T02:40Z", "tomorrow", "2025-11-30T02:40:52Zjunk"] {
            #expect(YAMLTimestamp.parse(text) == nil, "\(text)")
        }
    }
}
