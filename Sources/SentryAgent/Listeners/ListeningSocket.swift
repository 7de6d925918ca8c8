import Shared

/// One listening TCP socket or unconnected UDP socket, as the kernel's socket table reports it.
struct ListeningSocket: Sendable, Hashable {
    /// The transport, spelt as `ss` and the CLI spell it.
    enum Transport: String, Sendable, Hashable, Codable, CaseIterable {
        case tcp, udp
    }

    var transport: Transport
    var address: IPAddress
    var port: UInt16
    /// The socket's inode: the `socket:[N]` a process's descriptor points at, and the key of the owner cache.
    var inode: UInt64
    /// The uid the socket was created under.
    var uid: UInt32
    /// The network namespace the socket lives in when it is not the agent's own (a container's).
    var namespace: NetworkNamespaces.Namespace? = nil

    /// Who can reach the socket, from its bound address.
    var scope: BindScope { BindScope(address) }
}

/// Who can reach a listening socket, judged from the address it is bound to.
enum BindScope: String, Sendable, Hashable, Codable, CaseIterable {
    /// 127.0.0.0/8, ::1 (or an IPv4-mapped loopback): only this host.
    case loopback
    /// 0.0.0.0 or ::: every address of the host, so whoever can route to any of them.
    case any
    /// One address of the host other than loopback.
    case specific

    init(_ address: IPAddress) {
        let unmapped = address.unmappedIPv4 ?? address
        if unmapped.isLoopback {
            self = .loopback
        } else if case .v6(0, 0) = address {
            self = .any
        } else if case .v4(0) = unmapped {
            self = .any
        } else {
            self = .specific
        }
    }

    /// True when something other than this host may reach the socket.
    var isExposed: Bool { self != .loopback }
}

extension IPAddress {
    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`), else nil.
    var unmappedIPv4: IPAddress? {
        guard case .v6(let high, let low) = self, high == 0, low >> 32 == 0xFFFF else { return nil }
        return .v4(UInt32(truncatingIfNeeded: low))
    }
}
