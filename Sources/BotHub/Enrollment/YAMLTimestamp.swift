import Foundation

/// The YAML timestamp form `agents.yml` keeps times in: `2026-03-01T12:00:00.25Z`, as the Yams-based hub wrote them
/// (nanoseconds, trailing zeros trimmed). Reading also takes a space before the time, a time zone offset
/// (`+01:00`) and a date alone (midnight UTC), the forms YAML allows.
///
/// Written by hand rather than through a date formatter: the round trip must never move a key's end later (a
/// rotation's grace would outlive what the operator asked for), so nanoseconds are truncated, not rounded.
enum YAMLTimestamp {
    /// `date` in UTC with up to nine fraction digits, never later than `date`.
    static func format(_ date: Date) -> String {
        let reference = date.timeIntervalSinceReferenceDate
        let seconds = reference.rounded(.down)
        var nanoseconds = Int(((reference - seconds) * 1e9).rounded(.down))
        // The product can round up to a fraction that reads back later than `date`; step back until it does not.
        while nanoseconds > 0, readBack(seconds: seconds, nanoseconds: nanoseconds) > reference { nanoseconds -= 1 }
        let unix = Int(seconds) + Int(Date.timeIntervalBetween1970AndReferenceDate)
        let days = unix >= 0 ? unix / 86_400 : (unix - 86_399) / 86_400
        let (year, month, day) = civil(fromDays: days)
        let secondOfDay = unix - days * 86_400
        var text = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
        text += "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
        if nanoseconds > 0 {
            var fraction = pad(nanoseconds, 9)
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += ".\(fraction)"
        }
        return text + "Z"
    }

    /// The time `text` names, or nil when it is not a YAML timestamp.
    static func parse(_ text: String) -> Date? {
        var scanner = Cursor(Array(text.utf8))
        guard let year = scanner.number(digits: 4...4), scanner.skip("-"), let month = scanner.number(digits: 1...2), scanner.skip("-"),
            let day = scanner.number(digits: 1...2), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        guard civil(fromDays: days) == (year, month, day) else { return nil }
        var seconds = days * 86_400
        var nanoseconds = 0
        if !scanner.atEnd {
            guard scanner.skip("T") || scanner.skip("t") || scanner.skipSpaces(), let hour = scanner.number(digits: 1...2), scanner.skip(":"),
                let minute = scanner.number(digits: 2...2), scanner.skip(":"), let second = scanner.number(digits: 2...2),
                hour < 24, minute < 60, second < 61
            else { return nil }
            seconds += hour * 3600 + minute * 60 + second
            if scanner.skip(".") {
                guard let digits = scanner.digits(), !digits.isEmpty else { return nil }
                nanoseconds = Int(String(decoding: (digits + Array(repeating: UInt8(ascii: "0"), count: 9)).prefix(9), as: UTF8.self)) ?? 0
            }
            _ = scanner.skipSpaces()
            if scanner.skip("Z") || scanner.atEnd {
                // UTC.
            } else {
                let sign = scanner.skip("-") ? -1 : (scanner.skip("+") ? 1 : 0)
                guard sign != 0, let offsetHours = scanner.number(digits: 1...2) else { return nil }
                let offsetMinutes = scanner.skip(":") ? scanner.number(digits: 2...2) : 0
                guard let offsetMinutes else { return nil }
                seconds -= sign * (offsetHours * 3600 + offsetMinutes * 60)
            }
            guard scanner.atEnd else { return nil }
        }
        let referenceSeconds = Double(seconds - Int(Date.timeIntervalBetween1970AndReferenceDate))
        return Date(timeIntervalSinceReferenceDate: readBack(seconds: referenceSeconds, nanoseconds: nanoseconds))
    }

    private static func readBack(seconds: Double, nanoseconds: Int) -> Double {
        seconds + Double(nanoseconds) / 1e9
    }

    private static func pad(_ number: Int, _ width: Int) -> String {
        let text = String(number)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let year = month <= 2 ? year - 1 : year
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    private static func civil(fromDays days: Int) -> (Int, Int, Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
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
