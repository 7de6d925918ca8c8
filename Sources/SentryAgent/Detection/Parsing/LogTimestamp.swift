/// Parses the timestamps of the formats the detectors read into Unix seconds, from bytes, without `Date` or a
/// formatter per line (the civil-date arithmetic is Howard Hinnant's `days_from_civil`).
enum LogTimestamp {
    private static let months: [[UInt8]] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].map {
        Array($0.utf8)
    }

    /// Days from 1970-01-01 to the given proleptic Gregorian date.
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let monthIndex = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthIndex + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil year of a Unix time (UTC).
    static func year(ofUnixSeconds seconds: Int64) -> Int64 {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// The month number (1–12) of a three-letter English abbreviation at `position`.
    @inline(__always)
    static func month(_ bytes: UnsafeBufferPointer<UInt8>, at position: Int) -> Int64? {
        guard position + 3 <= bytes.count else { return nil }
        for (index, name) in months.enumerated() where bytes[position] == name[0] && bytes[position + 1] == name[1] && bytes[position + 2] == name[2]
        {
            return Int64(index + 1)
        }
        return nil
    }

    @inline(__always)
    private static func twoDigits(_ bytes: UnsafeBufferPointer<UInt8>, _ position: Int) -> Int64? {
        guard position + 2 <= bytes.count else { return nil }
        let tens = bytes[position] &- 0x30
        let ones = bytes[position + 1] &- 0x30
        guard tens < 10, ones < 10 else { return nil }
        return Int64(tens) * 10 + Int64(ones)
    }

    /// `HH:MM:SS` at `position` as seconds of the day.
    @inline(__always)
    private static func timeOfDay(_ bytes: UnsafeBufferPointer<UInt8>, _ position: Int) -> Int64? {
        guard position + 8 <= bytes.count, bytes[position + 2] == UInt8(ascii: ":"), bytes[position + 5] == UInt8(ascii: ":"),
            let hours = twoDigits(bytes, position), let minutes = twoDigits(bytes, position + 3), let seconds = twoDigits(bytes, position + 6),
            hours < 24, minutes < 60, seconds < 61
        else { return nil }
        return hours * 3600 + minutes * 60 + seconds
    }

    /// nginx `$time_local`: `22/Nov/2025:02:51:07 +0100` (exactly 26 bytes), as Unix seconds.
    static func nginxLocalTime(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int64? {
        let start = range.lowerBound
        guard range.count == 26, range.upperBound <= bytes.count, bytes[start + 2] == UInt8(ascii: "/"),
            bytes[start + 6] == UInt8(ascii: "/"), bytes[start + 11] == UInt8(ascii: ":"), bytes[start + 20] == UInt8(ascii: " "),
            let day = twoDigits(bytes, start), let month = month(bytes, at: start + 3),
            let year = bytes.decimal(start + 7..<start + 11), let time = timeOfDay(bytes, start + 12),
            let offset = zoneOffset(bytes, start + 21)
        else { return nil }
        return daysFromCivil(year: year, month: month, day: day) * 86_400 + time - offset
    }

    /// `+hhmm` / `-hhmm` at `position`, in seconds east of UTC.
    private static func zoneOffset(_ bytes: UnsafeBufferPointer<UInt8>, _ position: Int) -> Int64? {
        guard position + 5 <= bytes.count, let hours = twoDigits(bytes, position + 1), let minutes = twoDigits(bytes, position + 3) else {
            return nil
        }
        let magnitude = hours * 3600 + minutes * 60
        switch bytes[position] {
        case UInt8(ascii: "+"): return magnitude
        case UInt8(ascii: "-"): return -magnitude
        default: return nil
        }
    }

    /// Traditional syslog `Nov 22 02:51:07` (`Nov  2` for single-digit days) at `position`, 15 bytes, in local time
    /// without a year: the year is the one that puts the time closest before `reference` (a log line is never from
    /// more than a day in the future). Returns Unix seconds given the host's UTC offset.
    static func syslogTraditional(_ bytes: UnsafeBufferPointer<UInt8>, at position: Int, reference: Int64, utcOffset: Int64) -> Int64? {
        guard position + 15 <= bytes.count, bytes[position + 3] == UInt8(ascii: " "), bytes[position + 6] == UInt8(ascii: " "),
            let month = month(bytes, at: position), let time = timeOfDay(bytes, position + 7)
        else { return nil }
        let dayTens = bytes[position + 4] == UInt8(ascii: " ") ? 0 : Int64(bytes[position + 4] &- 0x30)
        let dayOnes = Int64(bytes[position + 5] &- 0x30)
        guard dayTens < 4, dayOnes < 10 else { return nil }
        let day = dayTens * 10 + dayOnes
        guard day >= 1 else { return nil }
        let year = Self.year(ofUnixSeconds: reference + utcOffset)
        var seconds = daysFromCivil(year: year, month: month, day: day) * 86_400 + time - utcOffset
        if seconds > reference + 86_400 {
            seconds = daysFromCivil(year: year - 1, month: month, day: day) * 86_400 + time - utcOffset
        }
        return seconds
    }

    /// RFC 3339 `2025-11-22T02:51:07.123456+00:00` or `…Z` at `position` (rsyslog's default on Debian 12 and
    /// journald's short-iso), as Unix seconds. Returns the seconds and the index just past the timestamp.
    static func rfc3339(_ bytes: UnsafeBufferPointer<UInt8>, at position: Int) -> (seconds: Int64, end: Int)? {
        guard position + 20 <= bytes.count, bytes[position + 4] == UInt8(ascii: "-"), bytes[position + 7] == UInt8(ascii: "-"),
            bytes[position + 10] == UInt8(ascii: "T"), let year = bytes.decimal(position..<position + 4),
            let month = twoDigits(bytes, position + 5), let day = twoDigits(bytes, position + 8), let time = timeOfDay(bytes, position + 11),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var index = position + 19
        if bytes[index] == UInt8(ascii: ".") { index = bytes.endOfDigits(from: index + 1) }
        guard index < bytes.count else { return nil }
        let offset: Int64
        if bytes[index] == UInt8(ascii: "Z") {
            offset = 0
            index += 1
        } else {
            guard index + 6 <= bytes.count, bytes[index + 3] == UInt8(ascii: ":"), let hours = twoDigits(bytes, index + 1),
                let minutes = twoDigits(bytes, index + 4)
            else { return nil }
            let magnitude = hours * 3600 + minutes * 60
            switch bytes[index] {
            case UInt8(ascii: "+"): offset = magnitude
            case UInt8(ascii: "-"): offset = -magnitude
            default: return nil
            }
            index += 6
        }
        return (daysFromCivil(year: year, month: month, day: day) * 86_400 + time - offset, index)
    }
}
