/// Checks Bot API calls (and the fake's own replies) against `TelegramSpec`: required fields present, no unknown
/// fields, every value of one of the field's types, recursively through object types and `Array of X`.
///
/// Stricter than Telegram on purpose: Telegram ignores unknown fields and reads `"123"` as an integer in JSON bodies,
/// which would let a misspelt parameter or a wrongly typed one pass unnoticed until it matters.
struct TelegramSpecValidator: Sendable {
    /// The outcome of checking one call.
    struct Report: Sendable {
        /// The parameters with form strings read as their spec types.
        var parameters: [String: TelegramJSON]
        var problems: [String]
        /// Required parameters that were absent (Telegram words these as "… is empty").
        var missing: [String]
    }

    let spec: TelegramSpec

    /// Checks one call. `textEncoded` names the parameters that arrived as form fields or query items: those are all
    /// strings, which Telegram reads as the field's type (numbers, `true`/`false`, JSON-serialized objects). JSON
    /// parameters must have the spec's types as they are.
    func check(_ method: TelegramSpec.Method, parameters: [String: TelegramJSON], textEncoded: Set<String> = []) -> Report {
        var report = Report(parameters: [:], problems: [], missing: [])
        let fields = method.fields ?? []
        for field in fields where field.required && parameters[field.name] == nil {
            report.missing.append(field.name)
            report.problems.append("required parameter \"\(field.name)\" is missing")
        }
        for name in parameters.keys.sorted() {
            guard let value = parameters[name] else { continue }
            guard let field = fields.first(where: { $0.name == name }) else {
                report.problems.append("unknown parameter \"\(name)\" (not in \(spec.version) \(method.name))")
                continue
            }
            let typed = textEncoded.contains(name) ? coerce(value, to: field.types) : value
            report.parameters[name] = typed
            report.problems += check(typed, againstAnyOf: field.types, at: name)
        }
        return report
    }

    /// Problems with `value` as one of `types` (empty when it fits one of them).
    func check(_ value: TelegramJSON, againstAnyOf types: [String], at path: String) -> [String] {
        var closest: [String] = []
        for type in types {
            let problems = check(value, against: type, at: path)
            if problems.isEmpty { return [] }
            if closest.isEmpty || problems.count < closest.count { closest = problems }
        }
        // An object offered for a union of objects is best explained by the alternative it nearly fits; anything
        // else by naming the accepted types.
        if types.count == 1 || (value.objectValue != nil && types.contains(where: { spec.types[$0] != nil })) { return closest }
        return ["\(path): expected \(types.joined(separator: " or ")), got \(value.kindName)"]
    }

    private func check(_ value: TelegramJSON, against type: String, at path: String) -> [String] {
        if type.hasPrefix("Array of ") {
            guard let elements = value.arrayValue else { return ["\(path): expected \(type), got \(value.kindName)"] }
            let elementType = String(type.dropFirst("Array of ".count))
            return elements.enumerated().flatMap { index, element in check(element, against: elementType, at: "\(path)[\(index)]") }
        }
        let fits: Bool? =
            switch type {
            case "Integer": value.int64Value != nil
            case "Float": value.isNumber
            case "String", "InputFile": value.stringValue != nil
            case "Boolean": value.boolValue != nil
            case "True": value == .bool(true)
            default: nil
            }
        if let fits { return fits ? [] : ["\(path): expected \(type), got \(value.kindName)"] }
        return check(value, againstObjectType: type, at: path)
    }

    private func check(_ value: TelegramJSON, againstObjectType name: String, at path: String) -> [String] {
        guard let type = spec.types[name] else { return ["\(path): type \(name) is not in the spec subset"] }
        if let subtypes = type.subtypes, !subtypes.isEmpty { return check(value, againstAnyOf: subtypes, at: path) }
        guard let object = value.objectValue else { return ["\(path): expected \(name), got \(value.kindName)"] }
        let fields = type.fields ?? []
        var problems: [String] = []
        for field in fields where field.required && object[field.name] == nil {
            problems.append("\(path): required field \"\(field.name)\" of \(name) is missing")
        }
        for key in object.keys.sorted() {
            guard let field = fields.first(where: { $0.name == key }), let fieldValue = object[key] else {
                problems.append("\(path).\(key): unknown field of \(name)")
                continue
            }
            problems += check(fieldValue, againstAnyOf: field.types, at: "\(path).\(key)")
        }
        return problems
    }

    /// Reads a form string as the first of `types` it can be; left as a string when none fits (then reported).
    private func coerce(_ value: TelegramJSON, to types: [String]) -> TelegramJSON {
        guard let text = value.stringValue else { return value }
        for type in types {
            switch type {
            case "Integer": if let number = Int64(text) { return .integer(number) }
            case "Float": if let number = Double(text) { return .float(number) }
            case "Boolean", "True":
                if text == "true" { return .bool(true) }
                if text == "false" { return .bool(false) }
            case "String", "InputFile": return value
            default:
                // Objects and arrays travel JSON-serialized in form fields.
                if let parsed = TelegramJSON.parse(Array(text.utf8)), parsed.objectValue != nil || parsed.arrayValue != nil { return parsed }
            }
        }
        return value
    }
}
