import Shared

/// An nginx `log_format`, compiled to locate `$remote_addr`, `$status`, `$request` and `$time_local` (and, behind a
/// trusted proxy, `$http_x_forwarded_for`) in a line by scanning bytes: each variable's value runs up to the literal
/// text that follows it in the format.
///
/// nginx escapes `"` and control bytes in variables (`\x22`), so a quoted `$request` cannot contain the `" ` that ends
/// it. Scanning stops as soon as the four variables are found: `combined`'s referer and user agent are never read.
struct NginxLogFormat: Sendable {
    /// The fields the 404 detector reads.
    enum Field: Int, Sendable, CaseIterable {
        case remoteAddress, status, request, timeLocal
        /// Only located by a format compiled with `forwardedFor: true`.
        case forwardedFor
    }

    /// A literal (bytes in `literalBytes`) or a variable (one of the four fields, or another variable skipped over).
    /// A plain struct, so scanning a line touches no reference counts.
    private struct Token: Sendable {
        var isLiteral: Bool
        var field: Field?
        var literal: Range<Int>
    }

    /// Where the four fields are in one line.
    struct Fields {
        var remoteAddress: Range<Int> = 0..<0
        var status: Range<Int> = 0..<0
        var request: Range<Int> = 0..<0
        var timeLocal: Range<Int> = 0..<0
        /// Empty unless the format was compiled with `forwardedFor: true`.
        var forwardedFor: Range<Int> = 0..<0
    }

    private let tokens: [Token]
    /// Every literal's bytes, back to back.
    private let literalBytes: [UInt8]
    /// Index of the token after which all needed fields are known.
    private let lastNeededToken: Int

    static let combined = NginxLogFormat(validated: NginxLogFormatCheck.combined)

    /// Compiles `format` (`combined` or an nginx `log_format` string); nil if `NginxLogFormatCheck` rejects it, or
    /// if `forwardedFor` asks for `$http_x_forwarded_for` and the format has none.
    init?(_ format: String, forwardedFor: Bool = false) {
        let text = format == "combined" ? NginxLogFormatCheck.combined : format
        guard NginxLogFormatCheck.problem(in: text) == nil else { return nil }
        if forwardedFor, !NginxLogFormatCheck.variables(in: text).contains(NginxLogFormatCheck.forwardedForVariable) { return nil }
        self.init(validated: text, forwardedFor: forwardedFor)
    }

    private init(validated text: String, forwardedFor: Bool = false) {
        var tokens: [Token] = []
        var literals: [UInt8] = []
        var literalStart = 0
        let bytes = Array(text.utf8)
        var index = 0
        func closeLiteral() {
            if literals.count > literalStart { tokens.append(Token(isLiteral: true, field: nil, literal: literalStart..<literals.count)) }
            literalStart = literals.count
        }
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "$") else {
                literals.append(bytes[index])
                index += 1
                continue
            }
            closeLiteral()
            var nameStart = index + 1
            var nameEnd = nameStart
            if nameStart < bytes.count, bytes[nameStart] == UInt8(ascii: "{") {
                nameStart += 1
                nameEnd = nameStart
                while nameEnd < bytes.count, bytes[nameEnd] != UInt8(ascii: "}") { nameEnd += 1 }
                index = nameEnd + 1
            } else {
                while nameEnd < bytes.count, Self.isNameByte(bytes[nameEnd]) { nameEnd += 1 }
                index = nameEnd
            }
            let name = String(decoding: bytes[nameStart..<min(nameEnd, bytes.count)], as: UTF8.self)
            let field = Self.field(named: name).flatMap { $0 == .forwardedFor && !forwardedFor ? nil : $0 }
            tokens.append(Token(isLiteral: false, field: field, literal: 0..<0))
        }
        closeLiteral()
        self.tokens = tokens
        self.literalBytes = literals
        var seen = Set<Int>()
        var last = tokens.count - 1
        let needed = Field.allCases.count - (forwardedFor ? 0 : 1)
        for (position, token) in tokens.enumerated() {
            if let field = token.field { seen.insert(field.rawValue) }
            if seen.count == needed {
                last = position
                break
            }
        }
        self.lastNeededToken = last
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- UInt8(ascii: "a") < 26 || byte &- 0x30 < 10 || byte == UInt8(ascii: "_")
    }

    private static func field(named name: String) -> Field? {
        switch name {
        case "remote_addr": .remoteAddress
        case "status": .status
        case "request": .request
        case "time_local": .timeLocal
        case NginxLogFormatCheck.forwardedForVariable: .forwardedFor
        default: nil
        }
    }

    /// Locates the four fields in `line`, or returns nil if the line does not follow the format.
    ///
    /// A client controls some variables (`$remote_user`, the user agent) and may put the next literal inside them to
    /// hide its lines: so each typed field is checked where it is found (`$time_local` is 26 bytes, `$status` 3
    /// digits, `$remote_addr` has no space), and on a mismatch the previous variable is extended to the next
    /// occurrence of its literal, within a small budget of retries.
    func locate(_ line: UnsafeBufferPointer<UInt8>) -> Fields? {
        var fields = Fields()
        var budget = 64
        let found = literalBytes.withUnsafeBufferPointer { literals in
            tokens.withUnsafeBufferPointer { tokens in
                locate(line, tokens, literals, token: 0, position: 0, end: line.endIgnoringCarriageReturn, fields: &fields, budget: &budget)
            }
        }
        return found ? fields : nil
    }

    private func locate(
        _ line: UnsafeBufferPointer<UInt8>, _ tokens: UnsafeBufferPointer<Token>, _ literals: UnsafeBufferPointer<UInt8>, token index: Int,
        position: Int, end: Int, fields: inout Fields, budget: inout Int
    ) -> Bool {
        if index > lastNeededToken { return true }
        let token = tokens[index]
        if token.isLiteral {
            let literal = UnsafeBufferPointer(rebasing: literals[token.literal])
            guard position + literal.count <= end, line.matches(literal, at: position) else { return false }
            return locate(line, tokens, literals, token: index + 1, position: position + literal.count, end: end, fields: &fields, budget: &budget)
        }
        guard index + 1 < tokens.count, tokens[index + 1].isLiteral else {
            // The last token: the value runs to the end of the line.
            return Self.accept(token.field, line, position..<end, into: &fields)
        }
        let next = UnsafeBufferPointer(rebasing: literals[tokens[index + 1].literal])
        var searchFrom = position
        while budget > 0, let found = line.index(of: next, from: searchFrom), found + next.count <= end {
            budget -= 1
            if Self.accept(token.field, line, position..<found, into: &fields),
                locate(line, tokens, literals, token: index + 1, position: found, end: end, fields: &fields, budget: &budget)
            {
                return true
            }
            // Only values a client can shape may hide the literal; the typed ones end at its first occurrence.
            guard token.field == nil || token.field == .request || token.field == .forwardedFor else { return false }
            searchFrom = found + 1
        }
        return false
    }

    /// Records `range` as `field`'s value if it has the field's shape.
    @inline(__always)
    private static func accept(_ field: Field?, _ line: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into fields: inout Fields) -> Bool {
        switch field {
        case .remoteAddress:
            guard !range.isEmpty, line.index(of: UInt8(ascii: " "), from: range.lowerBound).map({ $0 >= range.upperBound }) ?? true else {
                return false
            }
            fields.remoteAddress = range
        case .status:
            guard range.count == 3, line.endOfDigits(from: range.lowerBound) == range.upperBound else { return false }
            fields.status = range
        case .request:
            fields.request = range
        case .forwardedFor:
            fields.forwardedFor = range
        case .timeLocal:
            guard range.count == 26, line[range.lowerBound + 2] == UInt8(ascii: "/") else { return false }
            fields.timeLocal = range
        case nil:
            break
        }
        return true
    }
}
