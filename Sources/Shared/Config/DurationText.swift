import FoundationEssentials

/// Parses and prints durations in the configuration's one syntax: a number and a unit (`s`, `m`, `h`, `d`), repeated
/// from the largest unit down (`90s`, `5m`, `1h30m`, `2d`). A bare number is not a duration: `60` could mean seconds
/// or minutes, and a security tool should not guess.
public enum DurationText {
    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimming(while: { $0.isWhitespace && !$0.isNewline })
        guard !trimmed.isEmpty else { return nil }
        let units: [Character: Int64] = ["d": 86_400, "h": 3600, "m": 60, "s": 1]
        var total: Int64 = 0
        var digits = ""
        var previousUnit = Int64.max
        for character in trimmed {
            if character.isASCII, character.isNumber {
                digits.append(character)
                continue
            }
            guard let unit = units[character], !digits.isEmpty, digits.count <= 9, unit < previousUnit, let value = Int64(digits) else {
                return nil
            }
            total += value * unit
            previousUnit = unit
            digits = ""
        }
        guard digits.isEmpty else { return nil }
        return .seconds(total)
    }

    /// Why `text` is not a duration, for a configuration problem or a usage error.
    public static func problem(in text: String) -> String {
        let trimmed = text.trimming(while: { $0.isWhitespace && !$0.isNewline })
        if !trimmed.isEmpty, trimmed.allSatisfy({ $0.isASCII && $0.isNumber }) {
            return "`\(trimmed)` needs a unit, e.g. `\(trimmed)s`"
        }
        return "expected a duration like 30s, 5m, 1h30m or 2d"
    }

    public static func format(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        if seconds % 86_400 == 0, seconds > 0 { return "\(seconds / 86_400)d" }
        if seconds % 3600 == 0, seconds > 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0, seconds > 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    /// How a duration is written for people.
    public enum Style: Sendable {
        /// `1h`, `23h59m`, `42s`: logs, command results and the terminal.
        case compact
        /// `1 h`, `23 h 59 min`, `42 s`: Telegram messages.
        case spaced
    }

    /// A duration for people, in its two largest units (`1h5m`, `2d3h`); under a second, in milliseconds. The one
    /// formatter of the agent and the hub; `format` is the configuration's syntax, which must parse back.
    public static func describe(_ duration: Duration, style: Style = .compact) -> String {
        var seconds = max(0, duration.components.seconds)
        let names: [String] = style == .compact ? ["d", "h", "m", "s"] : ["d", "h", "min", "s"]
        let separator = style == .compact ? "" : " "
        if seconds == 0 {
            let milliseconds = max(0, duration.components.attoseconds / 1_000_000_000_000_000)
            return milliseconds == 0 && style == .spaced ? "0\(separator)s" : "\(milliseconds)\(separator)ms"
        }
        let sizes: [Int64] = [86_400, 3600, 60, 1]
        var parts: [String] = []
        for (size, name) in zip(sizes, names) where seconds >= size && parts.count < 2 {
            parts.append("\(seconds / size)\(separator)\(name)")
            seconds %= size
        }
        return parts.joined(separator: separator)
    }
}
