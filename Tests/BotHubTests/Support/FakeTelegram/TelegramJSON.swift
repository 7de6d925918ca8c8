import Foundation

/// A JSON value as the Bot API sees it: integers and floats kept apart, so the fake can check the spec's `Integer`
/// against `Float`, and objects as dictionaries (the Bot API never depends on key order).
enum TelegramJSON: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case integer(Int64)
    case float(Double)
    case string(String)
    case array([TelegramJSON])
    case object([String: TelegramJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Order matters: Foundation would read `true` as 1 and `1` as 1.0, so the narrowest reading goes first.
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .float(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([TelegramJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: TelegramJSON].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .float(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Parses a complete JSON text, or returns nil.
    static func parse(_ bytes: some Collection<UInt8>) -> TelegramJSON? {
        try? JSONDecoder().decode(TelegramJSON.self, from: Data(bytes))
    }

    /// Compact JSON with sorted keys, so records and logs are stable.
    var serialized: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    /// The spec's name for this value's kind, for error messages.
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "Boolean"
        case .integer: "Integer"
        case .float: "Float"
        case .string: "String"
        case .array: "Array"
        case .object: "object"
        }
    }

    subscript(key: String) -> TelegramJSON? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    /// Integers are valid where the spec says `Float`.
    var isNumber: Bool {
        switch self {
        case .integer, .float: true
        default: false
        }
    }

    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var int64Value: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    var arrayValue: [TelegramJSON]? {
        if case .array(let value) = self { return value }
        return nil
    }

    var objectValue: [String: TelegramJSON]? {
        if case .object(let value) = self { return value }
        return nil
    }
}

extension TelegramJSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int64) { self = .integer(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
}
