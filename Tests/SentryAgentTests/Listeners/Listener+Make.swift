import Shared

@testable import SentryAgent

extension Listener {
    /// A listener for rule tests: a packaged `/usr/sbin/nginx` on 0.0.0.0:80 unless told otherwise.
    static func make(
        transport: ListeningSocket.Transport = .tcp, address: String = "0.0.0.0", port: UInt16 = 80, pid: Int32 = 100,
        exe: String? = "/usr/sbin/nginx", process: String = "nginx", package: PackageOwnership = .owned("nginx-core"),
        unit: String? = "nginx.service", container: String? = nil, owned: Bool = true
    ) -> Listener {
        let owner = ListenerOwner(
            pid: pid, startTime: 4242, pids: [pid], process: process, exe: exe, commandLine: process, uid: 0, user: "root", unit: unit,
            container: container)
        return Listener(
            socket: ListeningSocket(transport: transport, address: IPAddress(address)!, port: port, inode: UInt64(pid) * 10, uid: 0),
            owner: owned ? owner : nil, package: package)
    }
}
