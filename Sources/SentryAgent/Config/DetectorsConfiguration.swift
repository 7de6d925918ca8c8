import FoundationEssentials
import Shared

/// What the agent watches and when it speaks up: the `detectors:` section of the agent configuration.
///
/// Every field has a default, so an agent with no `detectors:` section watches SSH (auth log or journald), nginx's
/// access log and the CPU with the thresholds documented in `config/agent.example.yml`.
public struct DetectorsConfiguration: Sendable, Equatable {
    /// How log files are followed.
    public var follow = FollowConfiguration()
    /// SSH logins and brute force (one log source feeds both detectors).
    public var ssh = SSHConfiguration()
    /// Sustained CPU load.
    public var cpu = CPUConfiguration()
    /// Bursts of HTTP 404 answers per client in web server access logs.
    public var http404 = HTTP404Configuration()
    /// New listening TCP and UDP sockets.
    public var listeners = ListenersConfiguration()
    /// Pending security updates from the host's own apt lists.
    public var packages = PackagesConfiguration()
    /// Changes to accounts, sudoers, authorized keys, sshd, cron, units, the loader, PAM, profiles and apt sources.
    public var identity = IdentityConfiguration()
    /// IPv6 clients are counted per network of this many bits by the 404 and brute-force detectors (one host holds a
    /// whole /64 and can use a new address per request); 128 counts each address alone. IPv4 is always per address.
    public var ipv6Prefix = 64

    public init() {}

    /// Where SSH log lines come from.
    public enum SSHSource: String, Sendable, Equatable, CaseIterable {
        /// The first existing file of `paths`, else journald (Debian 12+ has no auth.log by default).
        case auto
        /// Always the files in `paths`, waiting for them to appear.
        case file
        /// Always `journalctl -f -o json`.
        case journald
    }

    /// Where a follower starts in a file it has never seen before and that existed when the agent started.
    public enum StartPosition: String, Sendable, Equatable, CaseIterable {
        /// At the end, like `tail -F`: old history is not re-alerted on first install.
        case end
        /// At the first byte.
        case beginning
    }

    /// Settings shared by every followed file.
    public struct FollowConfiguration: Sendable, Equatable {
        /// How often files are checked when inotify reports nothing (and the only check where inotify is unavailable).
        public var pollInterval: Duration = .seconds(1)
        /// Lines longer than this are cut to this length (and counted), still parsed, never buffered beyond it.
        public var maxLineBytes = 16_384
        /// How long a rotated or deleted file stays open to catch late writes from a writer that has not reopened.
        public var rotationGrace: Duration = .seconds(5)
        /// Where a follower starts in a file it meets for the first time.
        public var startAt: StartPosition = .end

        public init() {}
    }

    /// `detectors.ssh`.
    public struct SSHConfiguration: Sendable, Equatable {
        /// False turns off both SSH detectors (like `enabled` of every other detector section).
        public var enabled = true
        /// Alert on each successful login (`ssh_session`).
        public var sessions = true
        /// Alert on failed-login bursts (`ssh_bruteforce`).
        public var bruteForce = true
        public var source: SSHSource = .auto
        /// Syslog files to follow, in order of preference for `auto`.
        public var paths = ["/var/log/auth.log", "/var/log/secure"]
        /// True when `paths` was written in the configuration: `auto` then follows exactly those files (waiting for a
        /// missing one to appear) and never falls back to journald, which would silently watch something else.
        public var pathsAreExplicit = false
        /// The journalctl program for the journald source.
        public var journalctl = "/usr/bin/journalctl"
        /// Leaky bucket size: the attempt that finds the bucket full raises the alert.
        public var bucketCapacity = 5
        /// The bucket empties by one attempt per this interval.
        public var leakInterval: Duration = .seconds(10)
        /// After an alert, the same address raises no new brute-force alert for this long.
        public var cooldown: Duration = .seconds(300)
        /// The most user names an alert lists.
        public var maxUsersListed = 10
        /// The most (user, address) pairs remembered to tell a familiar login from a new one.
        public var maxKnownLogins = 10_000

        /// True when at least one SSH detector runs.
        public var isActive: Bool { enabled && (sessions || bruteForce) }

        public init() {}
    }

    /// `detectors.cpu`.
    public struct CPUConfiguration: Sendable, Equatable {
        public var enabled = true
        /// How often `/proc/stat` is sampled.
        public var interval: Duration = .seconds(5)
        /// The busy share is averaged over this window.
        public var window: Duration = .seconds(60)
        /// Busy percent that raises a warning.
        public var warningPercent = 85
        /// Busy percent that raises a critical alert.
        public var criticalPercent = 95
        /// A level clears only when the share falls this many points below its threshold.
        public var hysteresisPoints = 10
        /// Processes listed in an alert.
        public var topProcesses = 5
        /// The proc filesystem (a fixture tree in tests).
        public var procRoot = "/proc"

        public init() {}
    }

    /// `detectors.listeners`.
    public struct ListenersConfiguration: Sendable, Equatable {
        public var enabled = true
        /// How often the socket table is read (a listener must be seen in two consecutive polls).
        public var interval: Duration = .seconds(1)
        /// Alert on the listeners present at the very first start instead of taking them as the baseline.
        public var alertExisting = false

        public init() {}
    }

    /// `detectors.identity`.
    public struct IdentityConfiguration: Sendable, Equatable {
        public var enabled = true
        /// Files or directories watched besides the built-in set (a directory: every file directly in it).
        public var paths: [String] = []
        /// Files or directories of the built-in set (or of `paths`) not to watch; a directory excludes all below it.
        public var exclude: [String] = []
        /// How often every watched file is checked (stat, and a hash of only those whose stat changed), which catches
        /// what changed while the agent was down or was missed; also run at start.
        public var verifyInterval: Duration = .seconds(300)
        /// Every watched path is read under this directory (tests point it at a throw-away tree that mirrors `/`);
        /// alerts still name the host's paths.
        public var root = "/"
        /// Changes written by dpkg or apt are collected and reported as one digest once no package-run write was
        /// seen for this long.
        public var packageQuiet: Duration = .seconds(10)

        public init() {}
    }

    /// `detectors.http404`.
    public struct HTTP404Configuration: Sendable, Equatable {
        public var enabled = true
        /// Access logs to follow.
        public var paths = ["/var/log/nginx/access.log"]
        /// `combined`, or an nginx `log_format` string using `$remote_addr`, `$status`, `$request`, `$time_local`.
        public var logFormat = "combined"
        /// The sliding window over which 404s are counted per client address.
        public var window: Duration = .seconds(60)
        /// 404s within the window that raise a warning.
        public var warningCount = 20
        /// 404s within the window that raise a critical alert.
        public var criticalCount = 50
        /// After an alert at a level, the same address raises no alert at that level (or lower) for this long.
        public var cooldown: Duration = .seconds(300)
        /// The most client addresses tracked at once; beyond it new addresses are counted as dropped until idle ones are evicted.
        public var maxTrackedAddresses = 2_000_000
        /// Reverse proxies or CDNs in front of nginx: only for requests whose `$remote_addr` is one of these is the
        /// client taken from `$http_x_forwarded_for` (which the log format must then contain).
        public var trustedProxies: [IPNetwork] = []

        public init() {}
    }

    /// `detectors.packages`.
    public struct PackagesConfiguration: Sendable, Equatable {
        /// Off by default: a scan runs `apt-get indextargets` and `apt-helper`, which an operator opts into.
        public var enabled = false
        /// A scan runs at start, whenever dpkg's status or apt's lists change, and at least this often.
        public var interval: Duration = .seconds(86_400)
        /// dpkg's status database (a fixture in tests).
        public var statusPath = "/var/lib/dpkg/status"
        /// apt's lists directory, watched for `apt-get update`.
        public var listsDirectory = "/var/lib/apt/lists"
        /// `-o Name=value` options handed to apt-get (tests point apt at private lists).
        public var aptOptions: [String] = []

        public init() {}
    }

    /// Reads only the `detectors:` section of an agent YAML file, so `sentry-agent replay --config` works without the
    /// agent's secrets; other top-level sections are ignored, unknown keys inside `detectors:` are still errors.
    public static func parse(yaml: String) throws -> DetectorsConfiguration {
        let log = ProblemLog()
        let root = try YAMLDocument.compose(yaml)
        let reader = ConfigReader(node: root, path: "", log: log)
        let configuration = read(reader.section("detectors"))
        guard log.problems.isEmpty else { throw ConfigError(problems: log.problems) }
        return configuration
    }

    /// Reads the `detectors:` section; every problem is recorded with its dotted path.
    static func read(_ reader: ConfigReader) -> DetectorsConfiguration {
        var configuration = DetectorsConfiguration()
        configuration.follow = readFollow(reader.section("follow"))
        configuration.ssh = readSSH(reader.section("ssh"))
        configuration.cpu = readCPU(reader.section("cpu"))
        configuration.http404 = readHTTP404(reader.section("http404"))
        configuration.listeners = readListeners(reader.section("listeners"))
        configuration.packages = readPackages(reader.section("packages"))
        configuration.identity = readIdentity(reader.section("identity"))
        configuration.ipv6Prefix = reader.int("ipv6_prefix", default: configuration.ipv6Prefix, in: 32...128)
        reader.rejectUnknownKeys()
        return configuration
    }

    private static func readFollow(_ reader: ConfigReader) -> FollowConfiguration {
        var follow = FollowConfiguration()
        follow.pollInterval = reader.duration("poll_interval", default: follow.pollInterval, in: .seconds(1)...(.seconds(60)))
        follow.maxLineBytes = reader.int("max_line_bytes", default: follow.maxLineBytes, in: 256...1_048_576)
        follow.rotationGrace = reader.duration("rotation_grace", default: follow.rotationGrace, in: .seconds(0)...(.seconds(600)))
        follow.startAt = reader.choice("start_at", default: follow.startAt)
        reader.rejectUnknownKeys()
        return follow
    }

    private static func readSSH(_ reader: ConfigReader) -> SSHConfiguration {
        var ssh = SSHConfiguration()
        ssh.enabled = reader.bool("enabled", default: ssh.enabled)
        ssh.sessions = reader.bool("sessions", default: ssh.sessions)
        ssh.bruteForce = reader.bool("brute_force", default: ssh.bruteForce)
        ssh.source = reader.choice("source", default: ssh.source)
        if reader.has("paths") {
            ssh.paths = reader.absolutePaths("paths")
            ssh.pathsAreExplicit = true
        }
        ssh.journalctl = reader.string("journalctl", default: ssh.journalctl)
        if !ssh.journalctl.hasPrefix("/") { reader.problem("journalctl", "must be an absolute path") }
        ssh.bucketCapacity = reader.int("bucket_capacity", default: ssh.bucketCapacity, in: 1...10_000)
        ssh.leakInterval = reader.duration("leak_interval", default: ssh.leakInterval, in: .seconds(1)...(.seconds(86_400)))
        ssh.cooldown = reader.duration("cooldown", default: ssh.cooldown, in: .seconds(0)...(.seconds(7 * 86_400)))
        ssh.maxUsersListed = reader.int("max_users_listed", default: ssh.maxUsersListed, in: 1...100)
        ssh.maxKnownLogins = reader.int("max_known_logins", default: ssh.maxKnownLogins, in: 10...1_000_000)
        if ssh.source == .file, ssh.paths.isEmpty { reader.problem("paths", "source file needs at least one path") }
        reader.rejectUnknownKeys()
        return ssh
    }

    private static func readCPU(_ reader: ConfigReader) -> CPUConfiguration {
        var cpu = CPUConfiguration()
        cpu.enabled = reader.bool("enabled", default: cpu.enabled)
        cpu.interval = reader.duration("interval", default: cpu.interval, in: .seconds(1)...(.seconds(3600)))
        cpu.window = reader.duration("window", default: cpu.window, in: .seconds(1)...(.seconds(86_400)))
        cpu.warningPercent = reader.int("warning_percent", default: cpu.warningPercent, in: 1...100)
        cpu.criticalPercent = reader.int("critical_percent", default: cpu.criticalPercent, in: 1...100)
        cpu.hysteresisPoints = reader.int("hysteresis_points", default: cpu.hysteresisPoints, in: 0...99)
        cpu.topProcesses = reader.int("top_processes", default: cpu.topProcesses, in: 0...50)
        cpu.procRoot = reader.string("proc_root", default: cpu.procRoot)
        if !cpu.procRoot.hasPrefix("/") { reader.problem("proc_root", "must be an absolute path") }
        if cpu.criticalPercent < cpu.warningPercent { reader.problem("critical_percent", "must not be below warning_percent") }
        if cpu.window < cpu.interval { reader.problem("window", "must be at least one interval") }
        reader.rejectUnknownKeys()
        return cpu
    }

    private static func readListeners(_ reader: ConfigReader) -> ListenersConfiguration {
        var listeners = ListenersConfiguration()
        listeners.enabled = reader.bool("enabled", default: listeners.enabled)
        listeners.interval = reader.duration("interval", default: listeners.interval, in: .seconds(1)...(.seconds(3600)))
        listeners.alertExisting = reader.bool("alert_existing", default: listeners.alertExisting)
        reader.rejectUnknownKeys()
        return listeners
    }

    private static func readIdentity(_ reader: ConfigReader) -> IdentityConfiguration {
        var identity = IdentityConfiguration()
        identity.enabled = reader.bool("enabled", default: identity.enabled)
        if reader.has("paths") { identity.paths = reader.absolutePaths("paths") }
        if reader.has("exclude") { identity.exclude = reader.absolutePaths("exclude") }
        identity.verifyInterval = reader.duration("verify_interval", default: identity.verifyInterval, in: .seconds(10)...(.seconds(86_400)))
        identity.root = reader.string("root", default: identity.root)
        if !identity.root.hasPrefix("/") { reader.problem("root", "must be an absolute path") }
        identity.packageQuiet = reader.duration("package_quiet", default: identity.packageQuiet, in: .seconds(1)...(.seconds(3600)))
        reader.rejectUnknownKeys()
        return identity
    }

    private static func readPackages(_ reader: ConfigReader) -> PackagesConfiguration {
        var packages = PackagesConfiguration()
        packages.enabled = reader.bool("enabled", default: packages.enabled)
        packages.interval = reader.duration("interval", default: packages.interval, in: .seconds(60)...(.seconds(7 * 86_400)))
        reader.rejectUnknownKeys()
        return packages
    }

    private static func readHTTP404(_ reader: ConfigReader) -> HTTP404Configuration {
        var http = HTTP404Configuration()
        http.enabled = reader.bool("enabled", default: http.enabled)
        if reader.has("paths") { http.paths = reader.absolutePaths("paths") }
        http.logFormat = reader.string("log_format", default: http.logFormat)
        if let reason = NginxLogFormatCheck.problem(in: http.logFormat) { reader.problem("log_format", reason) }
        http.window = reader.duration("window", default: http.window, in: .seconds(1)...(.seconds(86_400)))
        http.warningCount = reader.int("warning_count", default: http.warningCount, in: 1...1_000_000)
        http.criticalCount = reader.int("critical_count", default: http.criticalCount, in: 1...1_000_000)
        http.cooldown = reader.duration("cooldown", default: http.cooldown, in: .seconds(0)...(.seconds(7 * 86_400)))
        http.maxTrackedAddresses = reader.int("max_tracked_addresses", default: http.maxTrackedAddresses, in: 1000...100_000_000)
        if http.criticalCount < http.warningCount { reader.problem("critical_count", "must not be below warning_count") }
        for (index, text) in reader.stringList("trusted_proxies").enumerated() {
            guard let network = IPNetwork(text) else {
                reader.problem("trusted_proxies[\(index)]", "not an address or CIDR block with its host bits zero (like 10.0.0.0/8)")
                continue
            }
            http.trustedProxies.append(network)
        }
        if !http.trustedProxies.isEmpty, !NginxLogFormatCheck.variables(in: http.logFormat).contains(NginxLogFormatCheck.forwardedForVariable) {
            reader.problem(
                "trusted_proxies", "needs $\(NginxLogFormatCheck.forwardedForVariable) in log_format (the client is read from it behind a proxy)")
        }
        reader.rejectUnknownKeys()
        return http
    }
}

/// The config-time check of an nginx `log_format`: the detector needs four variables, separated by literal text.
public enum NginxLogFormatCheck {
    /// The variables the 404 detector reads.
    public static let requiredVariables = ["remote_addr", "status", "request", "time_local"]

    /// nginx's predefined `combined` format.
    public static let combined = #"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#

    /// The variable that carries `X-Forwarded-For`, needed when `trusted_proxies` is set.
    public static let forwardedForVariable = "http_x_forwarded_for"

    /// Why `format` cannot be used, or nil when it can.
    public static func problem(in format: String) -> String? {
        let (variables, problem) = scan(format)
        if let problem { return problem }
        let missing = requiredVariables.filter { !variables.contains($0) }
        if !missing.isEmpty { return "missing " + missing.map { "$" + $0 }.joined(separator: ", ") }
        return nil
    }

    /// The names of the variables `format` uses (up to its first problem).
    public static func variables(in format: String) -> [String] { scan(format).variables }

    private static func scan(_ format: String) -> (variables: [String], problem: String?) {
        let text = format == "combined" ? combined : format
        var variables: [String] = []
        var previousWasVariable = false
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == "$" {
                let nameStart = text.index(after: index)
                var nameEnd = nameStart
                let braced = nameStart < text.endIndex && text[nameStart] == "{"
                if braced {
                    guard let close = text[nameStart...].firstIndex(of: "}") else { return (variables, "unclosed ${ in the format") }
                    variables.append(String(text[text.index(after: nameStart)..<close]))
                    nameEnd = text.index(after: close)
                } else {
                    while nameEnd < text.endIndex, text[nameEnd].isASCII, text[nameEnd].isLetter || text[nameEnd].isNumber || text[nameEnd] == "_" {
                        nameEnd = text.index(after: nameEnd)
                    }
                    if nameEnd == nameStart { return (variables, "a $ without a variable name") }
                    variables.append(String(text[nameStart..<nameEnd]))
                }
                if previousWasVariable {
                    return (variables, "variables $\(variables[variables.count - 2]) and $\(variables[variables.count - 1]) need text between them")
                }
                previousWasVariable = true
                index = nameEnd
            } else {
                previousWasVariable = false
                index = text.index(after: index)
            }
        }
        return (variables, nil)
    }
}

extension ConfigReader {
    /// One of an enum's raw values, naming the choices when the value is not one of them.
    fileprivate func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, default fallback: Choice) -> Choice
    where Choice.RawValue == String {
        guard let text = string(key) else { return fallback }
        guard let value = Choice(rawValue: text) else {
            problem(key, "expected one of " + Choice.allCases.map(\.rawValue).joined(separator: ", "))
            return fallback
        }
        return value
    }

    /// A list of absolute paths; a relative one is named by its index.
    fileprivate func absolutePaths(_ key: String) -> [String] {
        let paths = stringList(key)
        for (index, path) in paths.enumerated() where !path.hasPrefix("/") {
            problem("\(key)[\(index)]", "must be an absolute path")
        }
        return paths.filter { $0.hasPrefix("/") }
    }
}
