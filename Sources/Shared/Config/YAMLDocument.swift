import Yams

/// Turns a configuration file's text into a YAML node tree, explaining the mistakes people make by hand in words
/// that name the line: a tab in the indentation, a key given twice, a syntax error.
///
/// Yams' own messages repeat the whole document (secrets included) and speak libyaml's vocabulary; these do neither.
enum YAMLDocument {
    /// The root node of `text`, or a `(file)` problem naming the line.
    static func compose(_ text: String) throws(ConfigError) -> Node? {
        if let line = firstTabIndentedLine(text) {
            throw problem("line \(line): a tab in the indentation; YAML indents with spaces only")
        }
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw problem(explain(error, text: text))
        } catch {
            throw problem("not valid YAML: \(error)")
        }
    }

    private static func problem(_ reason: String) -> ConfigError {
        ConfigError(problems: [ConfigProblem(field: "(file)", reason: reason)])
    }

    /// The 1-based number of the first line whose leading whitespace holds a tab, ignoring comment lines.
    static func firstTabIndentedLine(_ text: String) -> Int? {
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let indentation = line.prefix { $0 == " " || $0 == "\t" }
            let rest = line.dropFirst(indentation.count)
            if indentation.contains("\t"), !rest.isEmpty, !rest.hasPrefix("#") { return index + 1 }
        }
        return nil
    }

    private static func explain(_ error: YamlError, text: String) -> String {
        switch error {
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.first ?? "?"
            let lines = linesDefining(key, text: text, from: context.mark.line)
            let whereText = lines.count >= 2 ? "lines \(lines[0]) and \(lines[1])" : "line \(context.mark.line)"
            return "\(whereText): the key `\(key)` is given twice in one section; keep one"
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return "line \(mark.line), column \(mark.column): not valid YAML: \(problem)"
        default:
            return "not valid YAML: \(error)"
        }
    }

    /// Line numbers, from `first` on, of lines that define `key` at the indentation of line `first`.
    private static func linesDefining(_ key: String, text: String, from first: Int) -> [Int] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard first >= 1, first <= lines.count else { return [] }
        let indentation = lines[first - 1].prefix { $0 == " " || $0 == "-" }.count
        var found: [Int] = []
        for number in first...lines.count {
            let line = lines[number - 1]
            let indent = line.prefix { $0 == " " || $0 == "-" }.count
            guard indent == indentation else { continue }
            let body = line.dropFirst(indent)
            if body.hasPrefix(key + ":") || body.hasPrefix("\"\(key)\":") || body.hasPrefix("'\(key)':") { found.append(number) }
        }
        return found
    }
}
