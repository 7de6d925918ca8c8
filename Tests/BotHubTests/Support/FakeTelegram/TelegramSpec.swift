import Foundation

/// The Bot API as machine-readable data: the subset in `Fixtures/telegram-api-subset.json`, extracted from the shared
/// spec by `scripts/telegram-spec-subset.py`. Layout as in the source: methods and types, each with fields that list
/// the accepted types (`Integer`, `String`, `Boolean`, `Float`, `True`, an object type or `Array of X`).
struct TelegramSpec: Sendable, Decodable {
    struct Field: Sendable, Decodable {
        var name: String
        var types: [String]
        var required: Bool
    }

    struct Method: Sendable, Decodable {
        var name: String
        var fields: [Field]?
        var returns: [String]
    }

    struct ObjectType: Sendable, Decodable {
        var name: String
        var fields: [Field]?
        /// A union such as `MaybeInaccessibleMessage`: a value must be one of these.
        var subtypes: [String]?
    }

    var version: String
    var methods: [String: Method]
    var types: [String: ObjectType]

    /// The Bot API treats method names case-insensitively (`getme` is `getMe`).
    func method(named name: String) -> Method? {
        if let exact = methods[name] { return exact }
        let lowered = name.lowercased()
        return methods.values.first { $0.name.lowercased() == lowered }
    }

    /// The subset shipped with the tests.
    static func loadSubset() throws -> TelegramSpec {
        guard let url = Bundle.module.url(forResource: "telegram-api-subset", withExtension: "json", subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "Fixtures/telegram-api-subset.json is not in the test bundle"])
        }
        return try JSONDecoder().decode(TelegramSpec.self, from: Data(contentsOf: url))
    }

    /// Loaded once per test process; every fake shares it.
    static let subset: Result<TelegramSpec, any Error> = Result { try loadSubset() }
}
