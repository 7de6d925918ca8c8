import Foundation
import Shared

/// How the hub writes times for people, in Telegram and on the terminal alike: one instant format (minutes in UTC,
/// short and unambiguous for operators in any zone) and one span format (`25 s`, `4 min 10 s`, `1 h 5 min`, `2 d 3 h`).
enum MessageTime {
    /// `2026-11-29 23:51 UTC`.
    static func format(_ date: Date) -> String {
        let parts = components(of: date)
        return String(format: "%04d-%02d-%02d %02d:%02d UTC", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0)
    }

    /// `2026-11-29 23:51:16 UTC`: the audit trail and the CLI, where seconds tell events apart.
    static func precise(_ date: Date) -> String {
        let parts = components(of: date)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d UTC", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0,
            parts.second ?? 0)
    }

    /// A remaining or elapsed time in its two largest units: `25 s`, `4 min 10 s`, `1 h 5 min`, `2 d 3 h`
    /// (`DurationText.describe`, spaced for messages).
    static func span(_ seconds: TimeInterval) -> String {
        DurationText.describe(.seconds(max(0, Int64(seconds))), style: .spaced)
    }

    /// "25 s ago" in `language`.
    static func ago(_ date: Date, now: Date, catalogs: MessageCatalogs, language: String) -> String {
        catalogs.text(.timeAgo, language: language, ["span": span(now.timeIntervalSince(date))])
    }

    /// "the last minute", "the last 5 min": the window a detector counted over.
    static func lastWindow(seconds: Int, catalogs: MessageCatalogs, language: String) -> String {
        seconds == 60
            ? catalogs.text(.timeLastMinute, language: language) : catalogs.text(.timeLast, language: language, ["span": span(TimeInterval(seconds))])
    }

    private static func components(of date: Date) -> DateComponents {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        return calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
    }
}
