/// Message text as Telegram stores it: plain text plus entities, offsets and lengths in UTF-16 code units.
///
/// Two texts that render alike compare equal (`<b>` and `<strong>` both give `bold`), which is how Telegram decides
/// that an edit changes nothing.
struct TelegramFormattedText: Sendable, Equatable {
    /// One `MessageEntity`.
    struct Entity: Sendable, Equatable {
        var type: String
        var offset: Int
        var length: Int
        var url: String?
        var language: String?
        var customEmojiID: String?
        var unixTime: Int64?
        var dateTimeFormat: String?

        init(type: String, offset: Int, length: Int, url: String? = nil, language: String? = nil) {
            self.type = type
            self.offset = offset
            self.length = length
            self.url = url
            self.language = language
        }

        /// The `MessageEntity` object.
        var json: TelegramJSON {
            var fields: [String: TelegramJSON] = ["type": .string(type), "offset": .integer(Int64(offset)), "length": .integer(Int64(length))]
            if let url { fields["url"] = .string(url) }
            if let language { fields["language"] = .string(language) }
            if let customEmojiID { fields["custom_emoji_id"] = .string(customEmojiID) }
            if let unixTime { fields["unix_time"] = .integer(unixTime) }
            if let dateTimeFormat { fields["date_time_format"] = .string(dateTimeFormat) }
            return .object(fields)
        }

        /// Reads a `MessageEntity` sent in an `entities` parameter (already checked against the spec).
        init?(json: TelegramJSON) {
            guard let type = json["type"]?.stringValue, let offset = json["offset"]?.int64Value, let length = json["length"]?.int64Value else {
                return nil
            }
            self.init(type: type, offset: Int(offset), length: Int(length), url: json["url"]?.stringValue, language: json["language"]?.stringValue)
            customEmojiID = json["custom_emoji_id"]?.stringValue
            unixTime = json["unix_time"]?.int64Value
            dateTimeFormat = json["date_time_format"]?.stringValue
        }
    }

    var text: String
    var entities: [Entity]

    /// Telegram strips leading and trailing white space from a message and moves the entities along.
    func trimmed() -> TelegramFormattedText {
        let units = Array(text.utf16)
        let isSpace: (UInt16) -> Bool = { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        let leading = units.prefix { isSpace($0) }.count
        guard leading < units.count else { return TelegramFormattedText(text: "", entities: []) }
        let trailing = units.reversed().prefix { isSpace($0) }.count
        let kept = Array(units[leading..<(units.count - trailing)])
        let moved: [Entity] = entities.compactMap { entity in
            let start = max(0, entity.offset - leading)
            let end = min(kept.count, entity.offset + entity.length - leading)
            guard end > start else { return nil }
            var entity = entity
            entity.offset = start
            entity.length = end - start
            return entity
        }
        return TelegramFormattedText(text: String(decoding: kept, as: UTF16.self), entities: moved)
    }
}
