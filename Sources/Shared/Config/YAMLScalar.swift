/// A scalar as written: its text, how it was quoted and any explicit tag, with the typed readings the configuration
/// readers ask for.
///
/// Only a plain (unquoted), untagged scalar is resolved to null, a boolean or a number: `"true"`, `'10'` and
/// `!!str 10` stay text, so quoting is how a value that looks like a number is kept a string. The readings follow the
/// YAML 1.1 core schema that the configuration has always been read with: `yes`/`no`/`on`/`off` are booleans (any
/// case), integers may carry `_` separators and `0x`, `0o`, `0b` or a leading `0` (octal), and `~`, `null` or nothing
/// at all is null.
public struct YAMLScalar: Sendable, Equatable {
    /// How the scalar was written.
    public enum Style: Sendable, Equatable {
        case plain, singleQuoted, doubleQuoted, literal, folded
    }

    /// The text, after YAML's unquoting, escapes and line folding.
    public let text: String
    public let style: Style
    /// The explicit tag in its full form (`tag:yaml.org,2002:str` for `!!str`), or nil when none was written.
    public let tag: String?

    public init(text: String, style: Style = .plain, tag: String? = nil) {
        self.text = text
        self.style = style
        self.tag = tag
    }

    private static let coreTagPrefix = "tag:yaml.org,2002:"

    /// The core-schema type this scalar reads as (`null`, `bool`, `int`, `float`, `str`), or nil for an untagged plain
    /// scalar, whose type comes from its text.
    private var declaredType: String? {
        if let tag { return tag.hasPrefix(Self.coreTagPrefix) ? String(tag.dropFirst(Self.coreTagPrefix.count)) : "str" }
        return style == .plain ? nil : "str"
    }

    /// Whether the value is null: an untagged plain `~`, `null`, `Null`, `NULL` or empty scalar, or `!!null`.
    public var isNull: Bool {
        switch declaredType {
        case nil: ["", "~", "null", "Null", "NULL"].contains(text)
        case "null"?: true
        default: false
        }
    }

    /// The value as a boolean: `true`, `yes`, `on`, `false`, `no`, `off` in any case.
    public var bool: Bool? {
        guard declaredType == nil || declaredType == "bool" else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: return nil
        }
    }

    /// The value as a whole number: decimal, `0x` hexadecimal, `0o` or leading-`0` octal, `0b` binary, with an
    /// optional sign and `_` separators; nil when it is not one or does not fit.
    public var int: Int? {
        guard declaredType == nil || declaredType == "int" else { return nil }
        var digits = Substring(text.filter { $0 != "_" })
        let negative = digits.first == "-"
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        var radix = 10
        if let (prefix, base) = [("0x", 16), ("0o", 8), ("0b", 2)].first(where: { digits.hasPrefix($0.0) }) {
            digits = digits.dropFirst(prefix.count)
            radix = base
        }
        if radix == 10, digits.count > 1, digits.first == "0" {
            digits = digits.dropFirst()
            radix = 8
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isHexDigit }), let magnitude = UInt(digits, radix: radix) else { return nil }
        if negative { return magnitude <= UInt(Int.max) + 1 ? Int(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt(Int.max) ? Int(magnitude) : nil
    }

    /// The value as a floating-point number (`1.5`, `-2e3`, `.inf`, `.nan`); whole numbers read as well.
    public var double: Double? {
        guard declaredType == nil || declaredType == "float" || declaredType == "int" else { return nil }
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        if let int { return Double(int) }
        let number = text.filter { $0 != "_" }
        guard number.contains(where: \.isNumber), number.allSatisfy({ "0123456789.eE+-".contains($0) }) else { return nil }
        return Double(number)
    }
}
