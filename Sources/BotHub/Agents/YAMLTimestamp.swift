import Foundation

/// The YAML timestamp form `agents.yml` keeps times in: `2026-03-01T12:00:00.25Z`, as the Yams-based hub wrote them
/// (nanoseconds, trailing zeros trimmed). Reading also takes a space before the time, a time zone offset
/// (`+01:00`) and a date alone (midnight UTC), the forms YAML allows.
///
/// Written by hand rather than through a date formatter: the round trip must never move a key's end later (a
/// rotation's grace would outlive what the operator asked for), so nanoseconds are truncated, not rounded, and
/// whole seconds go through the calendar exactly.
enum YAMLTimestamp {
    /// `date` in UTC with up to nine fraction digits, never later than `date`.
    static func format(_ date: Date) -> String {
        let reference = date.timeIntervalSinceReferenceDate
        let seconds = reference.rounded(.down)
        var nanoseconds = Int(((reference - seconds) * 1e9).rounded(.down))
        // The product can round up to a fraction that reads back later than `date`; step back until it does not.
        while nanoseconds > 0, readBack(seconds: seconds, nanoseconds: nanoseconds) > reference { nanoseconds -= 1 }
        let parts = utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSinceReferenceDate: seconds))
        var text = "\(pad(parts.year ?? 0, 4))-\(pad(parts.month ?? 0, 2))-\(pad(parts.day ?? 0, 2))T"
        text += "\(pad(parts.hour ?? 0, 2)):\(pad(parts.minute ?? 0, 2)):\(pad(parts.second ?? 0, 2))"
        if nanoseconds > 0 {
            var fraction = pad(nanoseconds, 9)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += ".\(fraction)"
        }
        return text + "Z"
    }

    /// The time `text` names, or nil when it is not a YAML timestamp.
    static func parse(_ text: String) -> Date? {
        var cursor = Cursor(Array(text.utf8))
        guard let year = cursor.number(digits: 4...4), cursor.skip("-"), let month = cursor.number(digits: 1...2), cursor.skip("-"),
            let day = cursor.number(digits: 1...2)
        else { return nil }
        var parts = DateComponents(year: year, month: month, day: day, hour: 0, minute: 0, second: 0)
        var offset = 0
        var nanoseconds = 0
        if !cursor.atEnd {
            guard cursor.skip("T") || cursor.skip("t") || cursor.skipSpaces(), let hour = cursor.number(digits: 1...2), cursor.skip(":"),
                let minute = cursor.number(digits: 2...2), cursor.skip(":"), let second = cursor.number(digits: 2...2)
            else { return nil }
            parts.hour = hour
            parts.minute = minute
            parts.second = second
            if cursor.skip(".") {
                guard let digits = cursor.digits(), !digits.isEmpty else { return nil }
                nanoseconds = Int(String(decoding: (digits + Array(repeating: UInt8(ascii: "0"), count: 9)).prefix(9), as: UTF8.self)) ?? 0
            }
            _ = cursor.skipSpaces()
            if !cursor.skip("Z"), !cursor.atEnd {
                let sign = cursor.skip("-") ? -1 : (cursor.skip("+") ? 1 : 0)
                guard sign != 0, let hours = cursor.number(digits: 1...2) else { return nil }
                guard let minutes = cursor.skip(":") ? cursor.number(digits: 2...2) : 0 else { return nil }
                offset = sign * (hours * 3600 + minutes * 60)
            }
            guard cursor.atEnd else { return nil }
        }
        // The calendar would roll 31 November over into December; a date that does not read back as written is refused.
        guard let start = utc.date(from: parts) else { return nil }
        let written = utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: start)
        guard
            [written.year, written.month, written.day, written.hour, written.minute, written.second]
                == [parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second]
        else { return nil }
        let seconds = start.timeIntervalSinceReferenceDate - Double(offset)
        return Date(timeIntervalSinceReferenceDate: readBack(seconds: seconds, nanoseconds: nanoseconds))
    }

    private static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        return calendar
    }()

    private static func readBack(seconds: Double, nanoseconds: Int) -> Double {
        seconds + Double(nanoseconds) / 1e9
    }

    private static func pad(_ number: Int, _ width: Int) -> String {
        let text = String(number)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    /// A cursor over the timestamp's bytes.
    private struct Cursor {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index == bytes.count }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
            index += 1
            return true
        }

        /// Skips spaces and tabs; true when there was at least one.
        mutating func skipSpaces() -> Bool {
            let start = index
            while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") { index += 1 }
            return index > start
        }

        mutating func digits() -> [UInt8]? {
            let start = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return Array(bytes[start..<index])
        }

        mutating func number(digits allowed: ClosedRange<Int>) -> Int? {
            let start = index
            guard let digits = digits(), allowed.contains(digits.count) else {
                index = start
                return nil
            }
            return digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        }
    }
}
