/// A listening socket with what is known about who holds it.
struct Listener: Sendable, Equatable {
    var socket: ListeningSocket
    /// Nil when no readable process holds the socket (a kernel socket, or a process of another user for a
    /// non-root agent).
    var owner: ListenerOwner?
    /// What dpkg says about the executable.
    var package: PackageOwnership
    /// The DNAT rules on the host that send outside traffic to it (Docker's published ports).
    var published: [DNATRule] = []

    /// Whether a package owns the executable, as far as this host can tell.
    enum PackageOwnership: Sendable, Equatable {
        case owned(String)
        /// dpkg's lists were read and no package lists the file.
        case unowned
        /// No dpkg on this host, or no executable to look up: "not packaged" would be a guess.
        case unknown

        var name: String? {
            if case .owned(let name) = self { return name }
            return nil
        }
    }
}
