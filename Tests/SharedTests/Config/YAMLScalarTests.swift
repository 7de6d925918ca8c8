import Testing

@testable import Shared

/// How a scalar reads as null, a boolean or a number: only when unquoted and untagged.
@Suite("YAML scalars")
struct YAMLScalarTests {
    func scalar(_ text: String) throws -> YAMLScalar {
        try #require(try YAMLNode.parse("value: \(text)\n")?["value"]?.scalar)
    }

    @Test("unquoted words read as booleans in any case; quoted ones and other words stay text")
    func booleans() throws {
        for (text, value) in [("true", true), ("yes", true), ("On", true), ("TRUE", true), ("false", false), ("no", false), ("OFF", false)] {
            #expect(try scalar(text).bool == value, "\(text)")
        }
        for text in ["\"true\"", "'yes'", "!!str true", "1", "y", "enabled"] {
            #expect(try scalar(text).bool == nil, "\(text)")
        }
        #expect(try scalar("!!bool yes").bool == true)
    }

    @Test("unquoted whole numbers read with sign, separators and 0x, 0o, 0b or leading-0 bases; quoted ones stay text")
    func integers() throws {
        let cases: [(String, Int)] = [
            ("7070", 7070), ("-5", -5), ("+5", 5), ("1_000_000", 1_000_000), ("0x1F", 31), ("0x0b1", 177), ("0o17", 15), ("017", 15), ("0b101", 5),
            ("0", 0),
            ("-9223372036854775808", Int.min), ("9223372036854775807", Int.max),
        ]
        for (text, value) in cases { #expect(try scalar(text).int == value, "\(text)") }
        for text in ["\"7070\"", "'5'", "!!str 5", "1.5", "9223372036854775808", "08", "0x", "+", "1:30", "12a", "~"] {
            #expect(try scalar(text).int == nil, "\(text)")
        }
    }

    @Test("floats read from decimal and exponent forms and .inf; numbers in quotes do not")
    func floats() throws {
        #expect(try scalar("1.5").double == 1.5)
        #expect(try scalar("-2e3").double == -2000)
        #expect(try scalar("10").double == 10)
        #expect(try scalar(".inf").double == .infinity)
        #expect(try scalar(".nan").double?.isNaN == true)
        #expect(try scalar("'1.5'").double == nil)
        #expect(try scalar("1.5.1").double == nil)
    }

    @Test("~, null and an empty value are null; quoted, they are text")
    func nulls() throws {
        for text in ["~", "null", "Null", "NULL", "", "!!null whatever"] { #expect(try scalar(text).isNull, "\(text)") }
        for text in ["'null'", "\"~\"", "''", "nil", "none"] { #expect(try !scalar(text).isNull, "\(text)") }
        #expect(try scalar("'null'").text == "null")
    }

    @Test("a double-quoted scalar reads back as exactly the text it was written from, whatever the text holds")
    func quotingRoundTrip() throws {
        let texts = [
            "", "plain", "yes", "~", "null", "0x1F", "- item", "# not a comment", "key: value", "a\"b", "a\\b", "'single'", "line\nbreak",
            "tab\there", "\r\n", "nul\0byte", "bell\u{07}", "del\u{7F}", "c1\u{85}\u{9F}", "bom\u{FEFF}", "\u{2028}\u{2029}", "\u{FFFE}",
            "  leading and trailing  ", "ünïcødé 日本 🙂", "%{count} addresses", "&anchor *alias !tag", "{flow: [x]}", "@reserved `tick",
        ]
        for text in texts {
            let quoted = YAMLScalar.doubleQuoted(text)
            let node = try #require(try YAMLNode.parse("value: \(quoted)\n")?["value"])
            #expect(node.scalar == YAMLScalar(text: text, style: .doubleQuoted), "\(quoted)")
        }
    }
}
