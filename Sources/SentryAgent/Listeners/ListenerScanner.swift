import Shared

/// Lists the listening sockets of the agent's network namespace with their owners: the sockets from sock_diag
/// (falling back to `/proc/net/*` when the kernel refuses it), owners from the inode cache, descriptions and
/// package lookups cached per process and per executable, so a steady poll reads nothing but the socket table.
struct ListenerScanner {
    /// Where the socket table is read from.
    enum Source: String, Sendable, CaseIterable {
        /// sock_diag, falling back to `/proc/net` if it fails.
        case auto
        case netlink
        case proc
    }

    let source: Source
    let proc: ProcFileSystem
    private let sockDiag = SocketDiagnostics()
    private var owners: SocketOwners
    private var packages: PackageOwners
    private let ownerReader: ListenerOwnerReader
    private var descriptions: [SocketOwners.Holder: ListenerOwner] = [:]
    /// The source the last scan used (`netlink` or `proc`), for the start line and tests.
    private(set) var lastSource: Source?
    /// Other network namespaces to read too (the detector's; the CLI reads its own namespace only, like `ss`).
    private var namespaces: NetworkNamespaces?
    /// The host's DNAT rules (refreshed by the caller, which can run `iptables-save`): listeners behind them are
    /// published.
    var publishing: [DNATRule] = []

    init(
        source: Source = .auto, proc: ProcFileSystem = ProcFileSystem(), users: any UserNameResolver = SystemUserNames(),
        packages: PackageOwners = PackageOwners()
    ) {
        self.source = source
        self.proc = proc
        self.owners = SocketOwners(proc: proc)
        self.packages = packages
        self.ownerReader = ListenerOwnerReader(proc: proc, users: users)
    }

    /// A scanner that also reads every other network namespace of running processes (containers), once each.
    static func allNamespaces(proc: ProcFileSystem = ProcFileSystem(), refreshEvery: Int = 5) -> ListenerScanner {
        var scanner = ListenerScanner(proc: proc)
        scanner.namespaces = NetworkNamespaces(proc: proc, refreshEvery: refreshEvery)
        return scanner
    }

    /// How many `/proc/<pid>/fd` walks the owner cache has made.
    var ownerWalks: Int { owners.walks }

    /// The current listeners, in the socket table's order.
    mutating func scan() throws(SocketDiagnostics.Failure) -> [Listener] {
        let sockets = try readSockets() + foreignSockets()
        let holders = owners.holders(of: Set(sockets.map(\.inode)))
        var current: [SocketOwners.Holder: ListenerOwner] = [:]
        var ownerOf: [UInt64: ListenerOwner] = [:]
        for (inode, list) in holders {
            guard let first = list.first else { continue }
            let owner = descriptions[first].map(ownerReader.refreshed) ?? ownerReader.owner(of: list)
            if let owner {
                current[first] = owner
                ownerOf[inode] = owner
            }
        }
        descriptions = current
        let dpkg = packages.isAvailable
        let owned = dpkg ? packages.packages(owning: Set(ownerOf.values.compactMap(\.exePath))) : [:]
        var localAddresses: [UInt64: Set<IPAddress>] = [:]
        return sockets.map { socket in
            let owner = ownerOf[socket.inode]
            var package = Listener.PackageOwnership.unknown
            if dpkg, let path = owner?.exePath, !path.hasPrefix("/memfd:"), let answer = owned[path] {
                package = answer.map { .owned($0) } ?? .unowned
            }
            return Listener(socket: socket, owner: owner, package: package, published: published(socket, addresses: &localAddresses))
        }
    }

    /// The DNAT rules that reach `socket`, reading each namespace's local addresses once per scan, and only when
    /// there are rules at all.
    private func published(_ socket: ListeningSocket, addresses: inout [UInt64: Set<IPAddress>]) -> [DNATRule] {
        guard !publishing.isEmpty else { return [] }
        let key = socket.namespace?.inode ?? 0
        let local: Set<IPAddress>
        if let known = addresses[key] {
            local = known
        } else {
            local = LocalAddresses.read(proc: proc, pid: socket.namespace?.pid)
            addresses[key] = local
        }
        return publishing.filter { $0.reaches(socket, localAddresses: local) }
    }

    private mutating func readSockets() throws(SocketDiagnostics.Failure) -> [ListeningSocket] {
        switch source {
        case .netlink:
            lastSource = .netlink
            return try sockDiag.listeningSockets()
        case .proc:
            lastSource = .proc
            return try procSockets()
        case .auto:
            do {
                let sockets = try sockDiag.listeningSockets()
                lastSource = .netlink
                return sockets
            } catch {
                lastSource = .proc
                return try procSockets()
            }
        }
    }

    /// The listening sockets of each other namespace, through a process inside it: `/proc/<pid>/net/*` is that
    /// namespace's table, read without entering it. A namespace whose process is gone is looked up again next poll.
    private mutating func foreignSockets() -> [ListeningSocket] {
        guard var namespaces else { return [] }
        defer { self.namespaces = namespaces }
        var sockets: [ListeningSocket] = []
        for namespace in namespaces.current() {
            let table = ProcNetTable(proc: ProcFileSystem(root: proc.root + "/\(namespace.pid)"))
            // The pid may have left the namespace (or exited, and its number gone to a process elsewhere).
            guard NetworkNamespaces.inode(ofLink: proc.root + "/\(namespace.pid)/ns/net") == namespace.inode,
                let found = table.listeningSockets()
            else {
                namespaces.invalidate()
                continue
            }
            sockets += found.map { socket in
                var socket = socket
                socket.namespace = namespace
                return socket
            }
        }
        return sockets
    }

    private func procSockets() throws(SocketDiagnostics.Failure) -> [ListeningSocket] {
        guard let sockets = ProcNetTable(proc: proc).listeningSockets() else {
            throw SocketDiagnostics.Failure(description: "cannot read \(proc.root)/net/{tcp,tcp6,udp,udp6}")
        }
        return sockets
    }
}
