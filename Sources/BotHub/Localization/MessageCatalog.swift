import FoundationEssentials
import Shared

/// One language's messages: dotted keys to templates with `%{name}` placeholders.
public struct MessageCatalog: Sendable, Equatable {
    public let language: String
    public let templates: [String: String]

    public init(language: String, templates: [String: String]) {
        self.language = language
        self.templates = templates
    }

    /// Parses a catalog file. Nested mappings are flattened to dotted keys; values must be strings.
    public static func parse(yaml: String, language: String) throws -> MessageCatalog {
        let root = try YAMLDocument.compose(yaml, field: "bot.\(language).yml")
        var templates: [String: String] = [:]
        var problems: [ConfigProblem] = []
        flatten(root, prefix: "", into: &templates, problems: &problems)
        guard problems.isEmpty else { throw ConfigError(problems: problems) }
        return MessageCatalog(language: language, templates: templates)
    }

    private static func flatten(_ node: YAMLNode?, prefix: String, into templates: inout [String: String], problems: inout [ConfigProblem]) {
        guard case .mapping(let pairs)? = node?.kind else {
            problems.append(ConfigProblem(field: prefix.isEmpty ? "(top level)" : prefix, reason: "expected a mapping"))
            return
        }
        for pair in pairs {
            let key = pair.key.scalar?.text ?? ""
            let name = prefix.isEmpty ? key : "\(prefix).\(key)"
            switch pair.value.kind {
            case .scalar(let scalar): templates[name] = scalar.text
            case .mapping: flatten(pair.value, prefix: name, into: &templates, problems: &problems)
            default: problems.append(ConfigProblem(field: name, reason: "expected text"))
            }
        }
    }

    /// The placeholder names a template uses, in order of first appearance.
    public static func placeholders(in template: String) -> [String] {
        var names: [String] = []
        for piece in Template.pieces(of: template) {
            if case .placeholder(let name) = piece, !names.contains(name) { names.append(name) }
        }
        return names
    }
}

/// All catalogs, with English as the fallback for any missing key or language.
public struct MessageCatalogs: Sendable {
    public static let fallbackLanguage = "en"
    private let catalogs: [String: MessageCatalog]

    public init(_ catalogs: [MessageCatalog]) {
        self.catalogs = Dictionary(catalogs.map { ($0.language, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Loads every `bot.<lang>.yml` in `directory`; English must be there. Overrides the built-in catalogs
    /// (`--translations` or `hub.translations`).
    public static func load(directory: String) throws -> MessageCatalogs {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw ConfigError(problems: [ConfigProblem(field: "translations", reason: "cannot read the directory \(directory)")])
        }
        var files: [String: String] = [:]
        for name in names where catalogLanguage(fileName: name) != nil {
            files[name] = try String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8)
        }
        return try make(files: files, origin: directory)
    }

    /// The catalogs compiled into the program from `translations/` (see `Plugins/EmbedCatalogs`).
    public static func builtIn() throws -> MessageCatalogs {
        try make(files: builtInFiles, origin: "the built-in catalogs")
    }

    /// `--translations DIR` when given, else the built-in catalogs.
    public static func load(override directory: String?) throws -> MessageCatalogs {
        try directory.map { try load(directory: $0) } ?? builtIn()
    }

    /// Parses catalog files (file name to YAML text); English must be among them.
    private static func make(files: [String: String], origin: String) throws -> MessageCatalogs {
        var catalogs: [MessageCatalog] = []
        for (name, text) in files.sorted(by: { $0.key < $1.key }) {
            guard let language = catalogLanguage(fileName: name) else { continue }
            catalogs.append(try MessageCatalog.parse(yaml: text, language: language))
        }
        guard catalogs.contains(where: { $0.language == fallbackLanguage }) else {
            throw ConfigError(problems: [ConfigProblem(field: "translations", reason: "bot.en.yml not found in \(origin)")])
        }
        return MessageCatalogs(catalogs)
    }

    /// `en` for `bot.en.yml`; nil for any other file name.
    static func catalogLanguage(fileName: String) -> String? {
        guard fileName.hasPrefix("bot."), fileName.hasSuffix(".yml") else { return nil }
        let language = String(fileName.dropFirst(4).dropLast(4))
        return LanguageCode.isValid(language) ? language : nil
    }

    /// Languages with a catalog.
    public var languages: [String] { catalogs.keys.sorted() }

    /// The message for `key` in `language` (falling back to English), with every value HTML-escaped.
    public func text(_ key: MessageKey, language: String, _ values: [String: String] = [:]) -> String {
        Template.render(template(key.rawValue, language: language) ?? key.rawValue, values: values)
    }

    /// A counted phrase (`1 address`, `2 addresses`): a plural key is a mapping of forms in the catalog file,
    ///
    ///     plural.addresses:
    ///       one: "%{count} address"
    ///       other: "%{count} addresses"
    ///
    /// flattened to `plural.addresses.one` and `.other`. `one` is chosen for a count of 1, `other` for every other
    /// count (the rule of every shipped language; a language needing more forms adds them here, not in templates).
    /// `%{count}` is the number; other values fill the form's other placeholders.
    public func text(_ key: MessageKey, language: String, count: Int, _ values: [String: String] = [:]) -> String {
        let form = PluralForm(count: count)
        let template =
            template("\(key.rawValue).\(form.rawValue)", language: language)
            ?? template("\(key.rawValue).\(PluralForm.other.rawValue)", language: language)
            ?? key.rawValue
        return Template.render(template, values: values.merging(["count": String(count)]) { $1 })
    }

    private func template(_ name: String, language: String) -> String? {
        catalogs[language]?.templates[name] ?? catalogs[Self.fallbackLanguage]?.templates[name]
    }
}

/// The forms a counted phrase has in a catalog (the suffix of its flattened keys).
public enum PluralForm: String, CaseIterable, Sendable {
    case one, other

    /// The form for `count`: `one` for exactly 1, else `other`.
    public init(count: Int) {
        self = count == 1 ? .one : .other
    }
}

/// `%{name}` interpolation with HTML escaping of values (templates themselves are trusted HTML).
enum Template {
    enum Piece: Equatable {
        case literal(Substring)
        case placeholder(String)
    }

    static func pieces(of template: String) -> [Piece] {
        var pieces: [Piece] = []
        var rest = Substring(template)
        while let open = rest.firstRange(of: "%{") {
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { break }
            pieces.append(.literal(rest[..<open.lowerBound]))
            pieces.append(.placeholder(String(rest[open.upperBound..<close])))
            rest = rest[rest.index(after: close)...]
        }
        pieces.append(.literal(rest))
        return pieces
    }

    static func render(_ template: String, values: [String: String]) -> String {
        pieces(of: template).map { piece in
            switch piece {
            case .literal(let text): String(text)
            case .placeholder(let name): HTMLEscaping.escape(values[name] ?? "%{\(name)}")
            }
        }.joined()
    }
}

/// Escapes text for Telegram's HTML parse mode: `&`, `<`, `>` and `"`.
public enum HTMLEscaping {
    public static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
