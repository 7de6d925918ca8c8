/// Telegram's HTML parse mode, following TDLib's `parse_html` (the Bot API server's parser) byte for byte: the same
/// tags, attribute syntax, entity decoding, byte offsets and error texts ("Unsupported start tag \"br\" at byte offset
/// 0", "Can't find end tag corresponding to start tag \"b\"", …). The server prefixes them with
/// "Bad Request: can't parse entities: ".
///
/// One deliberate difference in `.documented` mode (the default): the Bot API documentation requires every `&` that
/// does not start an entity to be written `&amp;`, while the server quietly keeps a stray `&`. The fake enforces the
/// documented rule so that an unescaped value is caught in tests.
struct TelegramHTMLParser: Sendable {
    enum Strictness: Sendable {
        /// As documented: a stray `&` is an error.
        case documented
        /// As the server behaves: a stray `&` stays literal.
        case server
    }

    /// Why the text was refused, worded as Telegram words it.
    struct Failure: Error, Equatable {
        var message: String
    }

    static let supportedTags: Set<String> = [
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji", "tg-time", "span", "pre", "code",
        "blockquote",
    ]

    var strictness: Strictness = .documented

    func parse(_ html: String) throws(Failure) -> TelegramFormattedText {
        var scanner = Scanner(html: html, strictness: strictness)
        return try scanner.run()
    }
}

extension TelegramHTMLParser {
    private struct OpenTag {
        var name: String
        var argument: String
        var unixTime: Int64
        var utf16Offset: Int
        var outputOffset: Int
    }

    /// The parse state. Like TDLib it reads a NUL-terminated byte string, and NUL counts as white space, which is what
    /// stops every inner loop at the end of the input.
    private struct Scanner {
        let input: [UInt8]
        let size: Int
        let strictness: Strictness
        var output: [UInt8] = []
        var utf16Offset = 0
        var decodedSurrogate = false
        var open: [OpenTag] = []
        var entities: [TelegramFormattedText.Entity] = []
        /// A `code` tag's language, kept until an enclosing `pre` of the same span claims it.
        var codeLanguages: [Int: String] = [:]

        init(html: String, strictness: Strictness) {
            input = Array(html.utf8) + [0]
            size = input.count - 1
            self.strictness = strictness
        }

        mutating func run() throws(Failure) -> TelegramFormattedText {
            var index = 0
            while index < size {
                let byte = input[index]
                if byte == .ampersand {
                    if let (codePoint, end) = decodeReference(at: index) {
                        appendToOutput(codePoint)
                        utf16Offset += codePoint > 0xFFFF ? 2 : 1
                        index = end
                        continue
                    }
                    if strictness == .documented {
                        throw Failure(message: "Character \"&\" at byte offset \(index) must be escaped as &amp;")
                    }
                }
                if byte != .lessThan {
                    // Count UTF-16 units once per character: at its first byte; 4-byte sequences need a surrogate pair.
                    if byte & 0xC0 != 0x80 { utf16Offset += byte >= 0xF0 ? 2 : 1 }
                    output.append(byte)
                    index += 1
                    continue
                }
                if input[index + 1] == .slash {
                    index = try endTag(at: index)
                } else {
                    index = try startTag(at: index)
                }
            }
            if let unclosed = open.last {
                throw Failure(message: "Can't find end tag corresponding to start tag \"\(unclosed.name)\"")
            }
            if decodedSurrogate {
                throw Failure(
                    message: "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched surrogate code units")
            }
            let ordered = entities.enumerated().sorted { lhs, rhs in
                let (a, b) = (lhs.element, rhs.element)
                if a.offset != b.offset { return a.offset < b.offset }
                if a.length != b.length { return a.length > b.length }
                let (rankA, rankB) = (Self.rank(a.type), Self.rank(b.type))
                return rankA != rankB ? rankA < rankB : lhs.offset < rhs.offset
            }
            return TelegramFormattedText(text: String(decoding: output, as: UTF8.self), entities: ordered.map(\.element))
        }

        /// Reads `<name attr=value …>` starting at `begin`; returns the index after `>`.
        private mutating func startTag(at begin: Int) throws(Failure) -> Int {
            var index = begin + 1
            while !input[index].isTDLibSpace && input[index] != .greaterThan { index += 1 }
            if input[index] == 0 { throw Failure(message: "Unclosed start tag at byte offset \(begin)") }
            let name = lowercased(begin + 1, index)
            guard TelegramHTMLParser.supportedTags.contains(name) else {
                throw Failure(message: "Unsupported start tag \"\(name)\" at byte offset \(begin)")
            }
            var argument = ""
            var unixTime: Int64 = 0
            while input[index] != .greaterThan {
                while input[index] != 0 && input[index].isTDLibSpace { index += 1 }
                if input[index] == .greaterThan { break }
                let attributeBegin = index
                while !input[index].endsAttributeName { index += 1 }
                let attribute = String(decoding: input[attributeBegin..<index], as: UTF8.self)
                if attribute.isEmpty {
                    throw Failure(message: "Empty attribute name in the tag \"\(name)\" at byte offset \(begin)")
                }
                while input[index] != 0 && input[index].isTDLibSpace { index += 1 }
                if input[index] != .equals {
                    // An attribute without a value, e.g. `<blockquote expandable>`.
                    if input[index] == 0 { throw Failure(message: "Unclosed start tag \"\(name)\" at byte offset \(begin)") }
                    if name == "blockquote" && attribute == "expandable" { argument = "1" }
                    continue
                }
                index += 1
                while input[index] != 0 && input[index].isTDLibSpace { index += 1 }
                if input[index] == 0 { throw Failure(message: "Unclosed start tag \"\(name)\" at byte offset \(begin)") }
                let value: String
                if input[index] != .singleQuote && input[index] != .doubleQuote {
                    // An HTML name token: letters, digits, periods and hyphens, case-insensitive.
                    let tokenBegin = index
                    while input[index].isNameToken { index += 1 }
                    value = lowercased(tokenBegin, index)
                    if !input[index].isTDLibSpace && input[index] != .greaterThan {
                        throw Failure(message: "Unexpected end of name token at byte offset \(tokenBegin)")
                    }
                } else {
                    let quote = input[index]
                    index += 1
                    var bytes: [UInt8] = []
                    while input[index] != quote && input[index] != 0 {
                        if input[index] == .ampersand, let (codePoint, end) = decodeReference(at: index) {
                            if let encoded = Self.utf8(codePoint) { bytes += encoded } else { decodedSurrogate = true }
                            index = end
                            continue
                        }
                        bytes.append(input[index])
                        index += 1
                    }
                    if input[index] == quote { index += 1 }
                    value = String(decoding: bytes, as: UTF8.self)
                }
                if input[index] == 0 { throw Failure(message: "Unclosed start tag at byte offset \(begin)") }
                if name == "tg-time" && attribute == "unix" { unixTime = Int64(value.prefix { $0.isNumber || $0 == "-" }) ?? 0 }
                argument = Self.argument(of: name, attribute: attribute, value: value) ?? argument
            }
            if name == "span" && argument != "spoiler" {
                throw Failure(message: "Tag \"span\" must have class \"tg-spoiler\" at byte offset \(begin)")
            }
            open.append(OpenTag(name: name, argument: argument, unixTime: unixTime, utf16Offset: utf16Offset, outputOffset: output.count))
            return index + 1
        }

        /// Reads `</name>` (or `</>`, which closes whatever is open) starting at `begin`; returns the index after `>`.
        private mutating func endTag(at begin: Int) throws(Failure) -> Int {
            guard let tag = open.last else { throw Failure(message: "Unexpected end tag at byte offset \(begin)") }
            var index = begin + 1
            while !input[index].isTDLibSpace && input[index] != .greaterThan { index += 1 }
            let name = lowercased(begin + 2, index)
            while input[index].isTDLibSpace && input[index] != 0 { index += 1 }
            if input[index] != .greaterThan { throw Failure(message: "Unclosed end tag at byte offset \(begin)") }
            if !name.isEmpty && name != tag.name {
                throw Failure(message: "Unmatched end tag at byte offset \(begin), expected \"</\(tag.name)>\", found \"</\(name)>\"")
            }
            // An empty tag makes no entity.
            if utf16Offset > tag.utf16Offset { try close(tag, length: utf16Offset - tag.utf16Offset) }
            open.removeLast()
            return index + 1
        }

        private mutating func close(_ tag: OpenTag, length: Int) throws(Failure) {
            let offset = tag.utf16Offset
            let sameSpan = entities.last.map { $0.offset == offset && $0.length == length } ?? false
            switch tag.name {
            case "i", "em": entities.append(.init(type: "italic", offset: offset, length: length))
            case "b", "strong": entities.append(.init(type: "bold", offset: offset, length: length))
            case "s", "strike", "del": entities.append(.init(type: "strikethrough", offset: offset, length: length))
            case "u", "ins": entities.append(.init(type: "underline", offset: offset, length: length))
            case "tg-spoiler", "span": entities.append(.init(type: "spoiler", offset: offset, length: length))
            case "blockquote":
                entities.append(.init(type: tag.argument.isEmpty ? "blockquote" : "expandable_blockquote", offset: offset, length: length))
            case "tg-emoji":
                guard let id = Int64(tag.argument), id > 0 else { throw Failure(message: "Invalid custom emoji identifier specified") }
                var entity = TelegramFormattedText.Entity(type: "custom_emoji", offset: offset, length: length)
                entity.customEmojiID = String(id)
                entities.append(entity)
            case "tg-time":
                guard Self.isDateTimeFormat(tag.argument) else { throw Failure(message: "Invalid date format used") }
                guard tag.unixTime > 0 else { return }
                var entity = TelegramFormattedText.Entity(type: "date_time", offset: offset, length: length)
                entity.unixTime = tag.unixTime
                entity.dateTimeFormat = tag.argument.isEmpty ? nil : tag.argument
                entities.append(entity)
            case "a":
                let target = tag.argument.isEmpty ? String(decoding: output[tag.outputOffset...], as: UTF8.self) : tag.argument
                // Telegram drops a link it cannot use rather than refusing the message.
                if let url = Self.checkedURL(target) { entities.append(.init(type: "text_link", offset: offset, length: length, url: url)) }
            case "pre":
                if sameSpan, let last = entities.last, last.type == "code", let language = codeLanguages[entities.count - 1], !language.isEmpty {
                    entities[entities.count - 1] = .init(type: "pre", offset: offset, length: length, language: language)
                } else {
                    entities.append(.init(type: "pre", offset: offset, length: length))
                }
            default:  // "code"
                if sameSpan, let last = entities.last, last.type == "pre", last.language == nil, !tag.argument.isEmpty {
                    entities[entities.count - 1].language = tag.argument
                } else {
                    codeLanguages[entities.count] = tag.argument
                    entities.append(.init(type: "code", offset: offset, length: length))
                }
            }
        }

        /// `&lt;` `&gt;` `&amp;` `&quot;` and numeric references, `;` optional; nil leaves the `&` literal.
        private func decodeReference(at start: Int) -> (codePoint: UInt32, end: Int)? {
            var end = start + 1
            var codePoint: UInt32 = 0
            if input[end] == .hash {
                end += 1
                let hexadecimal = input[end] == UInt8(ascii: "x")
                if hexadecimal { end += 1 }
                while let digit = input[end].digitValue(hexadecimal: hexadecimal) {
                    codePoint = codePoint * (hexadecimal ? 16 : 10) + UInt32(digit)
                    end += 1
                    if codePoint >= 0x10FFFF { return nil }
                }
                if codePoint == 0 || end - start >= 10 { return nil }
            } else {
                while input[end].isASCIILetter { end += 1 }
                switch String(decoding: input[(start + 1)..<end], as: UTF8.self) {
                case "lt": codePoint = 0x3C
                case "gt": codePoint = 0x3E
                case "amp": codePoint = 0x26
                case "quot": codePoint = 0x22
                default: return nil
                }
            }
            return (codePoint, input[end] == .semicolon ? end + 1 : end)
        }

        private mutating func appendToOutput(_ codePoint: UInt32) {
            // A lone surrogate: Telegram refuses the text, but only once the whole of it is read.
            guard let encoded = Self.utf8(codePoint) else {
                decodedSurrogate = true
                return
            }
            output += encoded
        }

        private static func utf8(_ codePoint: UInt32) -> [UInt8]? {
            Unicode.Scalar(codePoint).map { Array(String(Character($0)).utf8) }
        }

        private func lowercased(_ from: Int, _ to: Int) -> String {
            String(decoding: input[from..<to], as: UTF8.self).lowercased()
        }

        private static func argument(of tag: String, attribute: String, value: String) -> String? {
            switch (tag, attribute) {
            case ("a", "href"), ("tg-emoji", "emoji-id"), ("tg-time", "format"): value
            case ("code", "class") where value.hasPrefix("language-"): String(value.dropFirst("language-".count))
            case ("span", "class") where value.hasPrefix("tg-"): String(value.dropFirst("tg-".count))
            case ("blockquote", "expandable"): "1"
            default: nil
            }
        }

        /// `r` alone, or any of `t T d D w W` (relative time cannot be combined).
        private static func isDateTimeFormat(_ format: String) -> Bool {
            format == "r" || format.allSatisfy { "tTdDwW".contains($0) }
        }

        /// A usable link target, normalised as Telegram does for bare hosts (`telegram.org` → `http://telegram.org/`).
        private static func checkedURL(_ text: String) -> String? {
            guard !text.isEmpty, !text.contains(where: \.isWhitespace) else { return nil }
            if text.hasPrefix("tg://") { return text }
            var (scheme, rest) = ("http://", Substring(text))
            if let range = text.range(of: "://") {
                scheme = text[..<range.upperBound].lowercased()
                rest = text[range.upperBound...]
                guard scheme == "http://" || scheme == "https://" || scheme == "ton://" else { return nil }
            }
            guard !rest.isEmpty else { return nil }
            guard let cut = rest.firstIndex(where: { "/?#".contains($0) }) else { return "\(scheme)\(rest)/" }
            return rest[cut] == "/" ? "\(scheme)\(rest)" : "\(scheme)\(rest[..<cut])/\(rest[cut...])"
        }

        /// TDLib's order of entities that start and end together.
        private static func rank(_ type: String) -> Int {
            switch type {
            case "blockquote", "expandable_blockquote": 0
            case "pre": 11
            case "code": 20
            case "text_link": 49
            case "bold": 90
            case "italic": 91
            case "underline": 92
            case "strikethrough": 93
            case "spoiler": 94
            default: 99
            }
        }
    }
}

extension UInt8 {
    fileprivate static let ampersand = UInt8(ascii: "&")
    fileprivate static let lessThan = UInt8(ascii: "<")
    fileprivate static let greaterThan = UInt8(ascii: ">")
    fileprivate static let slash = UInt8(ascii: "/")
    fileprivate static let equals = UInt8(ascii: "=")
    fileprivate static let singleQuote = UInt8(ascii: "'")
    fileprivate static let doubleQuote = UInt8(ascii: "\"")
    fileprivate static let semicolon = UInt8(ascii: ";")
    fileprivate static let hash = UInt8(ascii: "#")

    /// TDLib's `is_space`, which includes NUL.
    fileprivate var isTDLibSpace: Bool {
        self == 0x20 || self == 0x09 || self == 0x0A || self == 0x0D || self == 0x0B || self == 0
    }

    fileprivate var endsAttributeName: Bool {
        isTDLibSpace || self == .equals || self == .greaterThan || self == .slash || self == .doubleQuote || self == .singleQuote
    }

    fileprivate var isASCIILetter: Bool { (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) }

    fileprivate var isNameToken: Bool { isASCIILetter || (0x30...0x39).contains(self) || self == 0x2E || self == 0x2D }

    fileprivate func digitValue(hexadecimal: Bool) -> UInt8? {
        switch self {
        case 0x30...0x39: self - 0x30
        case 0x61...0x66 where hexadecimal: self - 0x61 + 10
        case 0x41...0x46 where hexadecimal: self - 0x41 + 10
        default: nil
        }
    }
}
