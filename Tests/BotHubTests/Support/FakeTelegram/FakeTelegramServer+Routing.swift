import Foundation
import Shared

extension FakeTelegramServer {
    /// Answers one HTTP request as the Bot API would: route, token, method, parameters, spec check, then the method.
    func respond(to request: HTTPRequest) async -> HTTPResponse {
        let arrival = now()
        guard let route = Self.route(request.path) else {
            return finish(.failure(.notFound), call: FakeTelegramCall(method: "", parameters: .object([:]), status: 0, time: arrival))
        }
        var call = FakeTelegramCall(method: String(route.method), parameters: .object([:]), status: 0, time: arrival)
        guard route.token == token else { return finish(.failure(.unauthorized), call: call) }
        guard let method = spec.method(named: String(route.method)) else { return finish(.failure(.notFound), call: call) }

        var parameters: [String: TelegramJSON]
        let textEncoded: Set<String>
        // An uploaded file's name travels beside its field, not as a Bot API parameter of its own.
        var fileNames: [String: TelegramJSON] = [:]
        switch Self.parameters(of: request) {
        case .success(let parsed):
            (parameters, textEncoded) = parsed
            fileNames = parameters.filter { $0.key.hasSuffix(".filename") }
            parameters = parameters.filter { !$0.key.hasSuffix(".filename") }
        case .failure(let failure):
            recordViolations([failure.description], method: method.name)
            return finish(.failure(failure), call: call)
        }
        call.parameters = .object(parameters)

        let report = TelegramSpecValidator(spec: spec).check(method, parameters: parameters, textEncoded: textEncoded)
        if !report.problems.isEmpty {
            recordViolations(report.problems, method: method.name)
            // Telegram words a missing parameter as "… is empty"; the fake's own checks say what they found.
            let detail = report.missing.first.map { $0 == "text" ? "message text is empty" : "\($0) is empty" } ?? report.problems[0]
            return finish(.failure(.badRequest(detail)), call: call)
        }

        let outcome: Result<TelegramJSON, FakeTelegramFailure>
        if let fault = takeFault(for: method.name) {
            outcome = .failure(fault)
        } else {
            do {
                outcome = .success(try await perform(method.name, report.parameters.merging(fileNames) { $1 }))
            } catch {
                outcome = .failure(error)
            }
        }
        if case .success(let result) = outcome {
            // The fake checks itself too: a reply the spec does not allow would teach the client wrong things.
            let problems = TelegramSpecValidator(spec: spec).check(result, againstAnyOf: method.returns, at: "result")
            recordViolations(problems, method: "\(method.name) reply")
        }
        return finish(outcome, call: call)
    }

    private func perform(_ method: String, _ parameters: [String: TelegramJSON]) async throws(FakeTelegramFailure) -> TelegramJSON {
        switch method {
        case "getMe": return botUser
        case "deleteWebhook": return deleteWebhook(parameters)
        case "getUpdates": return try await getUpdates(parameters)
        case "sendMessage": return try sendMessage(parameters)
        case "editMessageText": return try editMessageText(parameters)
        case "answerCallbackQuery": return try answerCallbackQuery(parameters)
        case "sendDocument": return try sendDocument(parameters)
        default: throw .notFound
        }
    }

    private func takeFault(for method: String) -> FakeTelegramFailure? {
        guard var queue = faults[method], !queue.isEmpty else { return nil }
        let fault = queue.removeFirst()
        faults[method] = queue
        return fault
    }

    private func finish(_ outcome: Result<TelegramJSON, FakeTelegramFailure>, call: FakeTelegramCall) -> HTTPResponse {
        var call = call
        var contentType = "application/json"
        let body: String
        switch outcome {
        case .success(let result):
            call.status = 200
            body = TelegramJSON.object(["ok": true, "result": result]).serialized
        case .failure(let failure):
            call.status = failure.status
            call.description = failure.description
            if let rawBody = failure.rawBody {
                contentType = "text/html"
                body = rawBody
            } else {
                body = failure.envelope.serialized
            }
        }
        record(call)
        return HTTPResponse(
            status: HTTPStatus(code: call.status, reason: Self.reason(call.status)),
            headers: HTTPHeaders([("Content-Type", contentType)]),
            body: Array(body.utf8)
        )
    }

    /// `/bot<token>/<method>`; anything else is Telegram's 404.
    private static func route(_ path: Substring) -> (token: Substring, method: Substring)? {
        guard path.hasPrefix("/bot") else { return nil }
        let rest = path.dropFirst(4)
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        let method = rest[rest.index(after: slash)...]
        guard !method.isEmpty, !method.contains("/") else { return nil }
        return (rest[..<slash], method)
    }

    /// Query items and the body (JSON or form), merged; the names of the text-encoded ones are returned too.
    private static func parameters(of request: HTTPRequest) -> Result<([String: TelegramJSON], Set<String>), FakeTelegramFailure> {
        var parameters: [String: TelegramJSON] = [:]
        var textEncoded: Set<String> = []
        if let query = request.target.split(separator: "?", maxSplits: 1).dropFirst().first {
            for (name, value) in formFields(query) {
                parameters[name] = .string(value)
                textEncoded.insert(name)
            }
        }
        guard !request.body.isEmpty else { return .success((parameters, textEncoded)) }
        let contentType = (request.headers["Content-Type"] ?? "").lowercased()
        if contentType.hasPrefix("application/json") {
            guard let fields = TelegramJSON.parse(request.body)?.objectValue else {
                return .failure(.badRequest("request body is not a JSON object"))
            }
            for (name, value) in fields {
                parameters[name] = value
                textEncoded.remove(name)
            }
        } else if contentType.hasPrefix("application/x-www-form-urlencoded") {
            for (name, value) in formFields(Substring(decoding: request.body, as: UTF8.self)) {
                parameters[name] = .string(value)
                textEncoded.insert(name)
            }
        } else if contentType.hasPrefix("multipart/form-data"),
            // The boundary is case-sensitive: read from the header as sent, not the lower-cased copy.
            let boundary = (request.headers["Content-Type"] ?? "").split(separator: "boundary=").last
        {
            guard let parts = multipartFields(request.body, boundary: String(boundary)) else {
                return .failure(.badRequest("malformed multipart/form-data body"))
            }
            for (name, value) in parts {
                parameters[name] = .string(value)
                textEncoded.insert(name)
            }
        } else {
            return .failure(.badRequest("unsupported Content-Type \"\(contentType)\" (the fake reads JSON, forms and multipart)"))
        }
        return .success((parameters, textEncoded))
    }

    /// The fields of a `multipart/form-data` body (RFC 7578); an uploaded file's field holds its content as text and
    /// `<name>.filename` its file name. Nil when the body is not well formed.
    static func multipartFields(_ body: [UInt8], boundary: String) -> [(String, String)]? {
        let text = String(decoding: body, as: UTF8.self)
        let delimiter = "--" + boundary
        guard text.hasPrefix(delimiter), text.hasSuffix(delimiter + "--\r\n") || text.hasSuffix(delimiter + "--") else { return nil }
        var fields: [(String, String)] = []
        for part in text.components(separatedBy: delimiter).dropFirst() where !part.hasPrefix("--") {
            // Scalars, not Characters: "\r\n" is one Character, and the framing is counted in bytes.
            let scalars = part.unicodeScalars
            guard scalars.starts(with: "\r\n".unicodeScalars), scalars.reversed().starts(with: "\n\r".unicodeScalars),
                let split = part.range(of: "\r\n\r\n")
            else { return nil }
            let head = String(String.UnicodeScalarView(scalars[scalars.index(scalars.startIndex, offsetBy: 2)..<split.lowerBound]))
            let body = part[split.upperBound...].unicodeScalars
            let content = String(String.UnicodeScalarView(body.dropLast(2)))
            guard
                let disposition = head.components(separatedBy: "\r\n").first(where: { $0.lowercased().hasPrefix("content-disposition: form-data") }),
                let name = quoted(disposition, "name")
            else { return nil }
            fields.append((name, content))
            if let fileName = quoted(disposition, "filename") { fields.append((name + ".filename", fileName)) }
        }
        return fields
    }

    /// `key="value"` in a header line.
    private static func quoted(_ line: String, _ key: String) -> String? {
        guard let start = line.range(of: "; \(key)=\"") else { return nil }
        let rest = line[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }

    private static func formFields(_ text: Substring) -> [(String, String)] {
        func decode(_ part: Substring) -> String {
            let spaced = part.replacingOccurrences(of: "+", with: " ")
            return spaced.removingPercentEncoding ?? spaced
        }
        return text.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decode(parts[0])
            guard !name.isEmpty else { return nil }
            return (name, parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 409: "Conflict"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Error"
        }
    }
}
