import Foundation

/// How the hub writes instants in messages: minutes in UTC, short and unambiguous for operators in any zone.
enum MessageTime {
    static func format(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d UTC", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0)
    }

    /// A remaining or elapsed time like `59m` or `23h 5m`.
    static func span(_ seconds: TimeInterval) -> String {
        let total = max(0, Int(seconds))
        if total >= 86_400 { return "\(total / 86_400)d \(total % 86_400 / 3600)h" }
        if total >= 3600 { return "\(total / 3600)h \(total % 3600 / 60)m" }
        if total >= 60 { return "\(total / 60)m" }
        return "\(total)s"
    }
}
