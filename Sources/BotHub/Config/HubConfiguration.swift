import FoundationEssentials
import Shared

/// Everything `bothub` reads from its YAML file (see `config/hub.example.yml`).
public struct HubConfiguration: Sendable, YAMLConfiguration {
    /// Where the hub keeps its SQLite database and enrolled agents.
    public var stateDirectory: String
    /// The default language for chats that have not chosen one with `/lang`.
    public var language: String
    /// Alerts (with their messages, digests and confirmations) and audit rows older than this are pruned daily;
    /// an alert still being handled never is.
    public var retention: Duration = .seconds(90 * 86_400)
    /// A directory of `bot.<lang>.yml` catalogs replacing the built-in ones (`hub.translations`); nil uses those.
    public var translationsDirectory: String?
    /// Where `/alert` and `/heartbeat` listen and their limits.
    public var listen: HTTPServerConfiguration
    public var telegram: TelegramConfiguration
    /// Agents declared in the file (enrolled agents from `bothub agent add` are added to these).
    public var agents: [AgentEntry]
    /// `GET /metrics` (Prometheus), off by default, loopback only.
    public var metrics = MetricsConfiguration(port: 9102)
    /// Where the secrets came from (inline or a file), for `check-config`'s file-mode check.
    public var secretSources: [SecretSource] = []
    /// `hub.vulnerabilities`: the known-vulnerability feed, off by default.
    public var vulnerabilities = VulnerabilitiesConfiguration()

    /// An agent the hub accepts alerts from and sends commands to.
    public struct AgentEntry: Sendable, Equatable {
        public var id: String
        /// The agent's `/response` base URL; commands never go anywhere else.
        public var responseEndpoint: HTTPEndpoint
        public var key: AgentKey
        /// Keys replaced by rotations, each still accepted until its grace ends, so no alert is lost mid-rotation
        /// (however many rotations overlap).
        public var retiredKeys: [RetiredKey]

        public init(id: String, responseEndpoint: HTTPEndpoint, key: AgentKey, retiredKeys: [RetiredKey] = []) {
            self.id = id
            self.responseEndpoint = responseEndpoint
            self.key = key
            self.retiredKeys = retiredKeys
        }

        /// The keys valid at `now`: the current one first, then retired ones still in their grace, newest first.
        public func keys(at now: Date) -> [AgentKey] {
            [key] + retiredKeys.filter { now < $0.validUntil }.sorted { $0.validUntil > $1.validUntil }.map(\.key)
        }
    }

    /// A key replaced by `bothub agent rotate-key`, accepted until `validUntil`.
    public struct RetiredKey: Sendable, Equatable {
        public var key: AgentKey
        public var validUntil: Date

        public init(key: AgentKey, validUntil: Date) {
            self.key = key
            self.validUntil = validUntil
        }
    }

    /// The sections of `hub.yml` (parse and load come with `YAMLConfiguration`).
    public static func read(_ root: ConfigReader, environment: [String: String]) -> HubConfiguration? {
        let hub = root.section("hub")
        let stateDirectory = hub.string("state_dir", default: "/var/lib/vigil-hub")
        if !stateDirectory.hasPrefix("/") { hub.problem("state_dir", "must be an absolute path") }
        let language = hub.string("language", default: "en")
        if !LanguageCode.isValid(language) { hub.problem("language", "expected a language code like en or es") }
        // Under a day would prune alerts whose buttons are still live; zero would empty the trail.
        let retention = hub.duration("retention", default: .seconds(90 * 86_400), in: .seconds(86_400)...(.seconds(36_500 * 86_400)))
        let translations = hub.string("translations")
        if let translations, !translations.hasPrefix("/") { hub.problem("translations", "must be an absolute path") }
        let vulnerabilities = VulnerabilitiesConfiguration.read(hub.section("vulnerabilities"))
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
        var configuration = HubConfiguration(
            stateDirectory: stateDirectory,
            language: language,
            retention: retention,
            translationsDirectory: translations,
            listen: listen,
            telegram: telegram,
            agents: agents,
            metrics: metrics
        )
        configuration.vulnerabilities = vulnerabilities
        return configuration
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
    /// The longest `/mute`; a longer request is cut to this and the reply says so.
    public var maxMute: Duration = .seconds(86_400)
    /// Replies to one person who is not an operator, per minute; past it their commands and presses are audited
    /// but not answered, so the bot cannot be made to spam a chat or burn its send budget.
    public var strangerRepliesPerMinute: Int = 3

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
            // A second entry for one chat would send every alert there twice and make its operators ambiguous.
            if chats.contains(where: { $0.id == id }) { chat.problem("id", "duplicate chat id \(id): list each chat once") }
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
                if let userID, operators.contains(where: { $0.userID == userID }) {
                    person.problem("id", "duplicate operator id \(userID) in this chat: list each person once, with one role")
                } else if let userID, let role {
                    operators.append(Operator(userID: userID, name: name, role: role))
                }
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
        configuration.maxMute = reader.duration("max_mute", default: .seconds(86_400), in: .seconds(60)...(.seconds(30 * 86_400)))
        configuration.strangerRepliesPerMinute = reader.int("stranger_replies_per_minute", default: 3, in: 0...60)
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
