/// What kind of address this is, for the agent's safety rails: some addresses must never be blocked whatever the
/// hub asks, because blocking them cuts the host off from itself or from its network.
extension IPAddress {
    /// 32 or 128.
    public var bitWidth: Int { isIPv4 ? 32 : 128 }

    /// The address with every bit past `prefix` cleared.
    public func masked(toPrefix prefix: Int) -> IPAddress {
        switch self {
        case .v4(let value):
            guard prefix < 32 else { return self }
            guard prefix > 0 else { return .v4(0) }
            return .v4(value & (UInt32.max << UInt32(32 - prefix)))
        case .v6(let high, let low):
            guard prefix < 128 else { return self }
            guard prefix > 0 else { return .v6(0, 0) }
            if prefix <= 64 {
                return .v6(prefix == 64 ? high : high & (UInt64.max << UInt64(64 - prefix)), 0)
            }
            return .v6(high, low & (UInt64.max << UInt64(128 - prefix)))
        }
    }

    /// `127.0.0.0/8` or `::1`.
    public var isLoopback: Bool {
        switch self {
        case .v4(let value): value >> 24 == 127
        case .v6(let high, let low): high == 0 && low == 1
        }
    }

    /// `0.0.0.0/8` or `::`: "this host", never a real peer.
    public var isUnspecified: Bool {
        switch self {
        case .v4(let value): value >> 24 == 0
        case .v6(let high, let low): high == 0 && low == 0
        }
    }

    /// `224.0.0.0/4`, `255.255.255.255`, `240.0.0.0/4` (reserved), or `ff00::/8`.
    public var isMulticastOrBroadcast: Bool {
        switch self {
        case .v4(let value): value >> 28 == 0xE || value >> 28 == 0xF
        case .v6(let high, _): high >> 56 == 0xFF
        }
    }

    /// `169.254.0.0/16` or `fe80::/10`: blocking the router's link-local address stops neighbour discovery.
    public var isLinkLocal: Bool {
        switch self {
        case .v4(let value): value >> 16 == 0xA9FE
        case .v6(let high, _): high >> 54 == 0x3FA
        }
    }
}
