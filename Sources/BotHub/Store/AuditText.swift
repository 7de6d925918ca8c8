/// Makes text from outside (a chat command, a Telegram display name, an agent's hostname) safe to store as one audit
/// line: every character that can end a line, move the cursor or reorder text is written as a visible escape, so a
/// stranger cannot forge a second line in `bothub audit` or in the terminal that reads it. The backslash itself is
/// escaped too, so an escape typed by someone cannot pass for one made here.
enum AuditText {
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where needsEscape(scalar): result += "\\u{\(String(scalar.value, radix: 16))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// C0, DEL and C1 controls, Unicode line and paragraph separators, and the bidirectional overrides and isolates
    /// that can make a line read differently from what it holds.
    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x5C, 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
