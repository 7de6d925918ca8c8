import Foundation
import Yams

/// Everything `bothub` reads from its YAML file (see `config/hub.example.yml`).
public struct HubConfiguration: Sendable {
    /// Where the hub keeps its SQLite database and enrolled agents.
    public var stateDirectory: String
    /// The default language for chats that have not chosen one with `/lang`.
    public var language: String
    /// Where `/alert` and `/heartbeat` listen and their limits.
    public var listen: HTTPServerConfiguration
    public var telegram: TelegramConfiguration
    /// Agents declared in the file (enrolled agents from `bothub agent add` are added to these).
    public var agents: [AgentEntry]
    /// `GET /metrics` (Prometheus), off by default, loopback only.
    public var metrics = MetricsConfiguration(port: 9102)

    /// An agent the hub accepts alerts from and sends commands to.
    public struct AgentEntry: Sendable, Equatable {
        public var id: String
        /// The agent's `/response` base URL; commands never go anywhere else.
        public var responseEndpoint: HTTPEndpoint
        public var key: AgentKey
        /// The key before a rotation, still accepted until `previousKeyUntil`, so no alert is lost mid-rotation.
        public var previousKey: AgentKey?
        public var previousKeyUntil: Date?

        public init(id: String, responseEndpoint: HTTPEndpoint, key: AgentKey, previousKey: AgentKey? = nil, previousKeyUntil: Date? = nil) {
            self.id = id
            self.responseEndpoint = responseEndpoint
            self.key = key
            self.previousKey = previousKey
            self.previousKeyUntil = previousKeyUntil
        }

        /// The keys valid at `now`: the current one first.
        public func keys(at now: Date) -> [AgentKey] {
            guard let previousKey, let previousKeyUntil, now < previousKeyUntil else { return [key] }
            return [key, previousKey]
        }
    }

    /// Parses and validates YAML text; throws every problem found.
    public static func parse(yaml: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> HubConfiguration {
        let log = ProblemLog()
        let root = try YAMLDocument.compose(yaml)
        let reader = ConfigReader(node: root, path: "", log: log)
        let configuration = read(reader, environment: environment)
        reader.rejectUnknownKeys()
        guard log.problems.isEmpty, let configuration else { throw ConfigError(problems: log.problems) }
        return configuration
    }

    /// Reads the file at `path`.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> HubConfiguration {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfigError(problems: [ConfigProblem(field: "(file)", reason: "cannot read \(path)")])
        }
        return try parse(yaml: text, environment: environment)
    }

    private static func read(_ root: ConfigReader, environment: [String: String]) -> HubConfiguration? {
        let hub = root.section("hub")
        let stateDirectory = hub.string("state_dir", default: "/var/lib/vigil-hub")
        if !stateDirectory.hasPrefix("/") { hub.problem("state_dir", "must be an absolute path") }
        let language = hub.string("language", default: "en")
        if !LanguageCode.isValid(language) { hub.problem("language", "expected a language code like en or es") }
        hub.rejectUnknownKeys()

        let listen = root.section("listen").httpServer(defaultPort: 7070)
        let telegram = TelegramConfiguration.read(root.section("telegram"), environment: environment)

        var agents: [AgentEntry] = []
        var seen: Set<String> = []
        for entry in root.list("agents") {
            let id = entry.agentID("id")
            var endpoint: HTTPEndpoint?
            if let url = entry.string("url") {
                endpoint = HTTPEndpoint(url: url)
                if endpoint == nil { entry.problem("url", "not an http://host:port URL") }
            } else {
                entry.problem("url", "required")
            }
            let key = entry.agentKey("key", environment: environment)
            entry.rejectUnknownKeys()
            if let id, !seen.insert(id).inserted { entry.problem("id", "duplicate agent id \(id)") }
            if let id, let endpoint, let key { agents.append(AgentEntry(id: id, responseEndpoint: endpoint, key: key)) }
        }

        let metrics = root.section("metrics").metrics(defaultPort: 9102)
        guard let telegram else { return nil }
        return HubConfiguration(
            stateDirectory: stateDirectory,
            language: language,
            listen: listen,
            telegram: telegram,
            agents: agents,
            metrics: metrics
        )
    }
}

/// The bot and who may answer it.
public struct TelegramConfiguration: Sendable {
    /// The bot token; nil runs the hub without Telegram (alerts are answered with `bothub choose`).
    public var token: String?
    /// Bot API base URL; a local fake in tests, a self-hosted Bot API server, or the public one.
    public var apiURL: String
    public var chats: [Chat]
    /// At most this many messages a second to one private chat (Telegram's limit is about 1).
    public var privateMessagesPerSecond: Int = 1
    /// At most this many messages a minute to one group (Telegram's limit is 20).
    public var groupMessagesPerMinute: Int = 20
    /// Past this many alerts of one kind from one agent within `digestWindow`, the rest fold into one digest message.
    public var digestThreshold: Int = 10
    public var digestWindow: Duration = .seconds(60)

    /// A chat that receives alerts and the people in it who may choose responses.
    public struct Chat: Sendable, Equatable {
        public var id: Int64
        public var language: String?
        public var operators: [Operator]

        public init(id: Int64, language: String?, operators: [Operator]) {
            self.id = id
            self.language = language
            self.operators = operators
        }
    }

    /// A Telegram user allowed to press buttons.
    public struct Operator: Sendable, Equatable {
        public var userID: Int64
        public var name: String
        public var role: Role

        public init(userID: Int64, name: String, role: Role) {
            self.userID = userID
            self.name = name
            self.role = role
        }
    }

    /// `admin` may also reboot and shut down; `operator` may block, kill and acknowledge.
    public enum Role: String, Sendable {
        case admin, `operator`
    }

    static func read(_ reader: ConfigReader, environment: [String: String]) -> TelegramConfiguration? {
        let token = reader.secret("token", environment: environment)
        if let token, !Self.isPlausibleToken(token) { reader.problem("token", "not a bot token (expected digits:secret from @BotFather)") }
        let apiURL = reader.string("api_url", default: "https://api.telegram.org")
        if !(apiURL.hasPrefix("https://") || apiURL.hasPrefix("http://")) || URL(string: apiURL)?.host == nil {
            reader.problem("api_url", "not an http(s) URL")
        }
        var chats: [Chat] = []
        for chat in reader.list("chats") {
            guard let id = chat.int64("id") else {
                if !chat.has("id") { chat.problem("id", "required") }
                continue
            }
            let language = chat.string("language")
            if let language, !LanguageCode.isValid(language) { chat.problem("language", "expected a language code like en or es") }
            var operators: [Operator] = []
            for person in chat.list("operators") {
                let userID = person.int64("id")
                if userID == nil, !person.has("id") { person.problem("id", "required (the Telegram user id; /start shows it)") }
                let name = person.string("name", default: "")
                let roleText = person.string("role", default: "operator")
                let role = Role(rawValue: roleText)
                if role == nil { person.problem("role", "expected admin or operator") }
                person.rejectUnknownKeys()
                if let userID, let role { operators.append(Operator(userID: userID, name: name, role: role)) }
            }
            chat.rejectUnknownKeys()
            chats.append(Chat(id: id, language: language, operators: operators))
        }
        var configuration = TelegramConfiguration(token: token, apiURL: apiURL, chats: chats)
        configuration.privateMessagesPerSecond = reader.int("private_messages_per_second", default: 1, in: 1...30)
        configuration.groupMessagesPerMinute = reader.int("group_messages_per_minute", default: 20, in: 1...60)
        let digest = reader.section("digest")
        configuration.digestThreshold = digest.int("threshold", default: 10, in: 1...10_000)
        configuration.digestWindow = digest.duration("window", default: .seconds(60), in: .seconds(10)...(.seconds(86_400)))
        digest.rejectUnknownKeys()
        reader.rejectUnknownKeys()
        return configuration
    }

    private static func isPlausibleToken(_ token: String) -> Bool {
        let parts = token.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[0].allSatisfy(\.isNumber) && parts[1].count >= 30
            && parts[1].allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }
}

/// Two or three lowercase letters, as catalog file names use.
public enum LanguageCode {
    public static func isValid(_ code: String) -> Bool {
        (2...3).contains(code.count) && code.allSatisfy { $0.isASCII && $0.isLowercase }
    }
}
