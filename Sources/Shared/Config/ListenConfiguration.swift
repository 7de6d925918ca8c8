extension ConfigReader {
    /// Reads a `listen:` section into server limits, validating the address.
    public func httpServer(defaultPort: UInt16) -> HTTPServerConfiguration {
        let defaults = HTTPServerConfiguration()
        let host = string("host", default: defaults.host)
        if IPAddress(host) == nil { problem("host", "not an IPv4 or IPv6 address") }
        let configuration = HTTPServerConfiguration(
            host: host,
            port: UInt16(int("port", default: Int(defaultPort), in: 0...65535)),
            maxHeadBytes: int("max_head_bytes", default: defaults.maxHeadBytes, in: 1024...1_048_576),
            maxHeaderCount: int("max_header_count", default: defaults.maxHeaderCount, in: 8...1000),
            maxBodyBytes: int("max_body_bytes", default: defaults.maxBodyBytes, in: 1024...16_777_216),
            requestTimeout: duration("request_timeout", default: defaults.requestTimeout, in: .seconds(1)...(.seconds(300))),
            idleTimeout: duration("idle_timeout", default: defaults.idleTimeout, in: .seconds(1)...(.seconds(3600))),
            maxConnections: int("max_connections", default: defaults.maxConnections, in: 1...100_000),
            maxConnectionsPerAddress: int("max_connections_per_address", default: defaults.maxConnectionsPerAddress, in: 1...100_000)
        )
        rejectUnknownKeys()
        return configuration
    }

    /// Reads a `metrics:` section; refuses a non-loopback address unless explicitly allowed, since the counters
    /// describe the host's security posture.
    public func metrics(defaultPort: UInt16) -> MetricsConfiguration {
        var metrics = MetricsConfiguration(port: defaultPort)
        metrics.enabled = bool("enabled", default: false)
        metrics.host = string("host", default: "127.0.0.1")
        metrics.port = UInt16(int("port", default: Int(defaultPort), in: 0...65535))
        if let address = IPAddress(metrics.host) {
            if !(address.description.hasPrefix("127.") || address.description == "::1") {
                problem("host", "metrics are served on loopback only (127.0.0.1 or ::1)")
            }
        } else {
            problem("host", "not an IPv4 or IPv6 address")
        }
        rejectUnknownKeys()
        return metrics
    }

    /// Agent ids travel in headers and file names: letters, digits, `.`, `_`, `-`, at most 64.
    public func agentID(_ key: String) -> String? {
        guard let id = string(key) else {
            problem(key, "required")
            return nil
        }
        guard AgentID.isValid(id) else {
            problem(key, "use 1–64 letters, digits, '.', '_' or '-'")
            return nil
        }
        return id
    }

    /// A base64 32-byte agent key, inline or from the environment or a file.
    public func agentKey(_ key: String, environment: [String: String]) -> AgentKey? {
        guard let text = secret(key, environment: environment) else {
            if !has(key) { problem(key, "required") }
            return nil
        }
        guard let agentKey = AgentKey(base64: text) else {
            problem(key, "not a base64 32-byte key (generate one with `bothub agent add`)")
            return nil
        }
        return agentKey
    }
}

/// The rule for agent ids, shared by both programs.
public enum AgentID {
    public static func isValid(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count)
            && id.utf8.allSatisfy { HTTPHeadParser.isTokenByte($0) && !"!#$%&'*+^`|~".utf8.contains($0) }
    }
}
