import ArgumentParser
import Foundation
import GRDB
import Shared

/// What the hub's terminal commands need from its files: the configuration and the database, opened with errors
/// that name the path and say what to do (never a raw `SQLite error 14` or `NSCocoaErrorDomain`).
struct HubTerminal {
    let configuration: HubConfiguration
    let store: HubStore
    let configPath: String

    /// The database file of a hub configured by `configuration`.
    static func databasePath(_ configuration: HubConfiguration) -> String {
        "\(configuration.stateDirectory)/hub.sqlite"
    }

    static func open(config: String) throws -> HubTerminal {
        let configuration = try loadConfiguration(config)
        let path = databasePath(configuration)
        guard FileManager.default.fileExists(atPath: path) else {
            throw HubStore.MissingDatabase(path: path)
        }
        guard FileManager.default.isReadableFile(atPath: path), FileManager.default.isWritableFile(atPath: path) else {
            throw TerminalError("cannot open \(path): permission denied (run as the user bothub runs as, e.g. with sudo)")
        }
        do {
            return HubTerminal(configuration: configuration, store: try HubStore.open(path: path), configPath: config)
        } catch let error as DatabaseError {
            throw TerminalError(
                "cannot open \(path): \(error.message ?? "\(error.resultCode)") (is it a bothub database, and is its directory writable?)")
        }
    }

    static func loadConfiguration(_ config: String) throws -> HubConfiguration {
        do {
            return try HubConfiguration.load(path: config)
        } catch let error as ConfigError {
            throw TerminalError("\(config): " + error.problems.map(\.description).joined(separator: "; "))
        }
    }

    var agents: AgentDirectory {
        AgentDirectory(configured: configuration.agents, enrollment: AgentEnrollmentFile(stateDirectory: configuration.stateDirectory))
    }

    /// The local user, as the audit trail names them: `local:alice` (the sudo caller when run with sudo).
    static var localOperator: Operator {
        let environment = ProcessInfo.processInfo.environment
        return Operator(telegramUserId: 0, name: "local:\(environment["SUDO_USER"] ?? ProcessInfo.processInfo.userName)")
    }

    /// An alert by its short id (`bothub alerts`' first column, 12 digits or longer after a collision) or full UUID, in any case, with or without dashes.
    func alert(_ text: String) throws -> StoredAlert {
        guard let id = AlertReference(text) else {
            throw ValidationError("\(text): expected a short id from `bothub alerts` (12 to 32 hex digits) or a full alert UUID")
        }
        let found: StoredAlert?
        switch id {
        case .short(let short): found = try store.alert(shortID: short)
        case .full(let uuid): found = try store.alert(id: uuid.uuidString)
        }
        guard let found else { throw TerminalError("no alert \(text)") }
        return found
    }
}

/// How an operator names an alert on the command line.
enum AlertReference: Equatable {
    case short(String)
    case full(UUID)

    init?(_ text: String) {
        let lower = text.lowercased()
        let digits = lower.replacingOccurrences(of: "-", with: "")
        guard digits.allSatisfy(\.isHexDigit) else { return nil }
        // A 32-digit short id is the whole UUID, so it is looked up as one.
        if ShortID.isWellFormed(digits), digits.count < 32, !lower.contains("-") {
            self = .short(lower)
        } else if digits.count == 32 {
            let chars = Array(digits)
            let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(chars[$0]) }
            guard let uuid = UUID(uuidString: parts.joined(separator: "-")) else { return nil }
            self = .full(uuid)
        } else {
            return nil
        }
    }
}

/// A terminal command's failure, printed as `Error: …` with exit status 1.
struct TerminalError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Columns padded to their widest cell, two spaces apart: what `bothub alerts`, `status` and `audit` print.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []

    var text: String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// Telegram HTML as terminal text: tags dropped, entities decoded.
enum PlainText {
    static func from(html: String) -> String {
        html.replacingOccurrences(of: "<[^>]+>", with: "", options: .regularExpression)
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
    }
}

/// JSON for `--json`: sorted keys, ISO 8601 times, one document per command.
enum TerminalJSON {
    static func print<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        Swift.print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}
