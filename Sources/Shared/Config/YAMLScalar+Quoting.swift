extension YAMLScalar {
    /// `text` as a double-quoted YAML scalar that reads back as exactly `text`, whatever it holds: quotes,
    /// backslashes, line breaks, control characters, a leading `-` or `#`, or words like `yes` and `null` that would
    /// otherwise read as something else. Characters YAML does not allow in a file are written as escapes.
    public static func doubleQuoted(_ text: String) -> String {
        var quoted = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            case "\r": quoted += "\\r"
            case "\0": quoted += "\\0"
            default:
                if needsEscape(scalar.value) {
                    quoted += scalar.value <= 0xFF ? "\\x" + hex(scalar.value, digits: 2) : "\\u" + hex(scalar.value, digits: 4)
                } else {
                    quoted.unicodeScalars.append(scalar)
                }
            }
        }
        return quoted + "\""
    }

    /// Control characters (C0, DEL, C1), the byte-order mark and the noncharacters YAML refuses in a file, and the
    /// Unicode line and paragraph separators, which a quoted scalar would fold.
    private static func needsEscape(_ value: UInt32) -> Bool {
        value < 0x20 || (0x7F...0x9F).contains(value) || value == 0xFEFF || value == 0xFFFE || value == 0xFFFF || value == 0x2028 || value == 0x2029
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
