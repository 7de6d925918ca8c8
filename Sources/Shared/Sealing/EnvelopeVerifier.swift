import FoundationEssentials
import Synchronization

/// Looks up the keys an agent may seal with. More than one key is valid during a key rotation's grace period.
public protocol AgentKeyLookup: Sendable {
    /// The keys currently accepted for `agentID`, or an empty array for an unknown agent.
    func keys(for agentID: String) async -> [AgentKey]
}

/// A fixed table of agent keys.
public struct StaticAgentKeys: AgentKeyLookup {
    private let table: [String: [AgentKey]]

    public init(_ table: [String: [AgentKey]]) {
        self.table = table
    }

    public func keys(for agentID: String) async -> [AgentKey] {
        table[agentID] ?? []
    }
}

/// An opened request: who sealed it, with which key, and the plaintext.
public struct OpenedEnvelope: Sendable {
    public let agentID: String
    public let key: AgentKey
    public let nonce: String
    public let plaintext: [UInt8]
}

/// Verifies sealed requests in the order that costs an attacker most and us least: headers, agent, freshness,
/// authentication, and only then the replay cache (so unauthenticated traffic can never fill it).
///
/// Not an actor: every check but the last is a pure function of the request, so concurrent requests open their
/// bodies in parallel; only the replay cache is shared, and a `Mutex` holds it for one lookup and insert.
public final class EnvelopeVerifier: Sendable {
    private let keys: any AgentKeyLookup
    private let window: Duration
    private let now: @Sendable () -> Date
    private let replayGuard: Mutex<ReplayGuard>

    public init(
        keys: some AgentKeyLookup,
        window: Duration = .seconds(60),
        replayCapacity: Int = ReplayGuard.defaultCapacity,
        replayFloorPerAgent: Int = ReplayGuard.defaultPerAgentFloor,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.keys = keys
        self.window = window
        self.now = now
        self.replayGuard = Mutex(ReplayGuard(capacity: replayCapacity, perAgentFloor: replayFloorPerAgent, window: window))
    }

    /// Number of nonces the replay cache holds (for tests and metrics).
    public var replayCacheCount: Int { replayGuard.withLock { $0.count } }

    /// Opens a request's sealed body or throws the reason it must be refused.
    public func open(
        method: String,
        path: String,
        agentID: String?,
        timestamp: String?,
        nonce: String?,
        body: [UInt8]
    ) async throws(SealError) -> OpenedEnvelope {
        guard let agentID, let timestamp, let nonce else { throw SealError(.missingHeader) }
        guard let seconds = Int64(timestamp), timestamp.utf8.count <= 12 else { throw SealError(.malformedTimestamp) }
        let candidates = await keys.keys(for: agentID)
        guard !candidates.isEmpty else { throw SealError(.unknownAgent) }
        let current = now()
        let skew = abs(current.timeIntervalSince1970 - TimeInterval(seconds))
        guard skew <= TimeInterval(window.components.seconds) else { throw SealError(.stale) }
        guard let nonceBytes = Base64URL.decode(nonce), nonceBytes.count == 12 else { throw SealError(.malformedNonce) }

        let message = SealedMessage(agentID: agentID, timestamp: seconds, nonce: nonce, body: body)
        for key in candidates {
            guard let plaintext = try? Sealer.open(message, direction: .request(method: method, path: path), key: key) else {
                continue
            }
            try replayGuard.withLock { (cache: inout ReplayGuard) throws(SealError) in
                try cache.admit(nonce: nonceBytes, agentID: agentID, now: current)
            }
            return OpenedEnvelope(agentID: agentID, key: key, nonce: nonce, plaintext: plaintext)
        }
        throw SealError(.openFailed)
    }
}
