import Shared
import Testing

@testable import SentryAgent

/// The severity and identity rules of the `listeners` detector, without sockets.
@Suite("listener severity and identity")
struct ListenerRulesTests {
    @Test("a listener on loopback is info, even a socat from /tmp")
    func loopbackIsInfo() {
        for address in ["127.0.0.1", "127.8.9.1", "::1", "::ffff:127.0.0.1"] {
            let listener = Listener.make(address: address, exe: "/tmp/x/socat", process: "socat", package: .unowned)
            #expect(listener.socket.scope == .loopback, "\(address)")
            #expect(ListenerSeverity.assess(listener).severity == .info, "\(address)")
        }
    }

    @Test("exposed and run from /tmp, /var/tmp or /dev/shm, from memfd or a deleted file: critical, with the reason")
    func writableOrVanishedExecutablesAreCritical() {
        let cases: [(String, String)] = [
            ("/tmp/.x/httpd", "runs from /tmp"), ("/var/tmp/httpd", "runs from /var/tmp"), ("/dev/shm/k", "runs from /dev/shm"),
            ("/memfd:payload (deleted)", "memfd"), ("/usr/sbin/nginx (deleted)", "deleted"),
        ]
        for (exe, reason) in cases {
            let (severity, reasons) = ListenerSeverity.assess(.make(exe: exe, process: "httpd"))
            #expect(severity == .critical, "\(exe)")
            #expect(reasons.contains { $0.contains(reason) }, "\(exe): \(reasons)")
        }
    }

    @Test("exposed and owned by no package: critical; on a host without dpkg that is not assumed")
    func unpackagedIsCritical() {
        #expect(ListenerSeverity.assess(.make(exe: "/opt/app/server", process: "server", package: .unowned)).severity == .critical)
        #expect(ListenerSeverity.assess(.make(exe: "/opt/app/server", process: "server", package: .unknown)).severity == .warning)
    }

    @Test("a shell, an interpreter, nc or socat listening on a public address is critical even when packaged")
    func bindShellShapesAreCritical() {
        for (exe, process) in [
            ("/usr/bin/socat", "socat"), ("/usr/bin/python3.11", "python3"), ("/usr/bin/bash", "bash"), ("/usr/bin/nc.openbsd", "nc"),
            ("/usr/bin/perl", "perl"), ("/usr/bin/ncat", "ncat"),
        ] {
            let (severity, reasons) = ListenerSeverity.assess(.make(exe: exe, process: process, package: .owned("pkg")))
            #expect(severity == .critical, "\(exe)")
            #expect(reasons.contains { $0.contains("bind shell") }, "\(exe): \(reasons)")
        }
        #expect(ListenerSeverity.programName("/usr/bin/python3.11") == "python")
        #expect(ListenerSeverity.programName("nc.openbsd") == "nc.openbsd")
    }

    @Test("a packaged service reachable from outside is a warning; Redis on a public address says which service")
    func packagedExposedIsWarning() {
        let nginx = ListenerSeverity.assess(.make())
        #expect(nginx.severity == .warning)
        #expect(nginx.reasons == ["reachable on every address"])
        let redis = ListenerSeverity.assess(.make(address: "203.0.113.5", port: 6379, exe: "/usr/bin/redis-server", process: "redis-server"))
        #expect(redis.severity == .warning)
        #expect(redis.reasons == ["Redis port on a public address", "reachable on 203.0.113.5"])
        #expect(ListenerSeverity.assess(.make(port: 6379, owned: false)).reasons.contains("owner unknown"))
    }

    @Test("an ephemeral loopback port is keyed by executable; a fixed or exposed port keeps its port")
    func ephemeralLoopbackIdentity() {
        let range: ClosedRange<UInt16> = 32768...60999
        let first = ListenerIdentity(.make(address: "127.0.0.1", port: 40001, pid: 1), ephemeralPorts: range)
        let second = ListenerIdentity(.make(address: "127.0.0.1", port: 51234, pid: 2), ephemeralPorts: range)
        #expect(first == second)
        #expect(first.port == nil)
        #expect(ListenerIdentity(.make(address: "127.0.0.1", port: 8080), ephemeralPorts: range).port == 8080)
        #expect(ListenerIdentity(.make(address: "0.0.0.0", port: 40001), ephemeralPorts: range).port == 40001)
        #expect(ListenerIdentity(.make(address: "127.0.0.1", port: 40001, exe: "/usr/bin/other"), ephemeralPorts: range) != first)
    }

    @Test("identity survives a restart: new pid, a deleted-then-replaced binary, a new login session")
    func identityIsStableAcrossRestarts() {
        let range: ClosedRange<UInt16> = 32768...60999
        let before = ListenerIdentity(.make(pid: 10, unit: "session-3.scope"), ephemeralPorts: range)
        let after = ListenerIdentity(.make(pid: 99, exe: "/usr/sbin/nginx (deleted)", unit: "session-41.scope"), ephemeralPorts: range)
        #expect(before == after)
        #expect(before.placement == "session-*.scope")
        #expect(ListenerIdentity(.make(address: "::"), ephemeralPorts: range) == ListenerIdentity(.make(address: "0.0.0.0"), ephemeralPorts: range))
        #expect(ListenerIdentity(.make(address: "10.0.0.5"), ephemeralPorts: range) != ListenerIdentity(.make(), ephemeralPorts: range))
        #expect(ListenerIdentity(.make(container: "docker:0123456789ab"), ephemeralPorts: range).placement == "docker:0123456789ab")
    }

    @Test("a command line is joined by spaces, its control and non-ASCII bytes escaped, and cut")
    func commandLine() {
        #expect(ListenerOwnerReader.commandLine(Array("socat\0TCP-LISTEN:1\0".utf8)) == "socat TCP-LISTEN:1")
        #expect(ListenerOwnerReader.commandLine([0x61, 0x0A, 0x1B, 0xC3, 0x5C]) == "a\\x0a\\x1b\\xc3\\\\")
        let long = ListenerOwnerReader.commandLine([UInt8](repeating: 0x61, count: 1000))
        #expect(long.count == ListenerOwnerReader.commandLineLimit + 1 && long.hasSuffix("…"))
    }

    @Test("the cgroup file names a systemd unit, or a container instead")
    func cgroupPlacement() {
        #expect(CgroupPlacement(cgroupFile: "0::/system.slice/nginx.service\n") == CgroupPlacement(unit: "nginx.service"))
        #expect(CgroupPlacement(cgroupFile: "0::/user.slice/user-0.slice/session-4.scope\n").unit == "session-4.scope")
        let id = String(repeating: "ab12", count: 16)
        #expect(CgroupPlacement(cgroupFile: "0::/system.slice/docker-\(id).scope\n") == CgroupPlacement(container: "docker:ab12ab12ab12"))
        #expect(CgroupPlacement(cgroupFile: "12:pids:/docker/\(id)\n1:name=systemd:/docker/\(id)\n").container == "docker:ab12ab12ab12")
        #expect(CgroupPlacement(cgroupFile: "0::/\n") == CgroupPlacement())
        // A hybrid host (systemd on the v1 hierarchy): the unified line is only `/`, the unit is in name=systemd.
        let hybrid = "4:memory:/system.slice/nginx.service\n1:name=systemd:/system.slice/nginx.service\n0::/\n"
        #expect(CgroupPlacement(cgroupFile: hybrid) == CgroupPlacement(unit: "nginx.service"))
    }

    @Test("/proc/net tables: listening TCP (0A) and unconnected UDP (07) rows only, addresses in host order")
    func procNetTable() {
        let tcp = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000   110        0 4242 1 0 100 0 0 10 0
               1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 4243 1 0 100 0 0 10 0

            """
        let rows = Array(tcp.utf8).withUnsafeBufferPointer { ProcNetTable.parse($0, transport: .tcp) }
        #expect(rows == [ListeningSocket(transport: .tcp, address: IPAddress("127.0.0.1")!, port: 8080, inode: 4242, uid: 110)])
        let udp6 = """
              sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
              9: 00000000000000000000000001000000:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 77 2 0 0

            """
        let udp = Array(udp6.utf8).withUnsafeBufferPointer { ProcNetTable.parse($0, transport: .udp) }
        #expect(udp == [ListeningSocket(transport: .udp, address: IPAddress("::1")!, port: 53, inode: 77, uid: 0)])
    }

    @Test("a sock_diag answer is parsed into sockets; an error message is an error, not an empty table")
    func sockDiagParsing() {
        var message = [UInt8](repeating: 0, count: 16 + 72)
        message[0] = UInt8(message.count)
        message[4] = 20
        message[16] = 2  // AF_INET
        message[16 + 4] = 0x1F
        message[16 + 5] = 0x90
        message[16 + 8...16 + 11] = [10, 0, 0, 7]
        message[16 + 64] = 33
        message[16 + 68] = 0x39
        message[16 + 69] = 0x30
        let done: [UInt8] = [20, 0, 0, 0, 3, 0, 2, 0] + [UInt8](repeating: 0, count: 12)
        var sockets: [ListeningSocket] = []
        let finished = (message + done).withUnsafeBufferPointer { SocketDiagnostics.parse($0, transport: .tcp, into: &sockets) }
        #expect(finished == .done)
        #expect(sockets == [ListeningSocket(transport: .tcp, address: IPAddress("10.0.0.7")!, port: 8080, inode: 0x3039, uid: 33)])
        let error: [UInt8] = [20, 0, 0, 0, 2, 0, 0, 0] + [UInt8](repeating: 0, count: 8) + [0xF3, 0xFF, 0xFF, 0xFF]
        let refused = error.withUnsafeBufferPointer { SocketDiagnostics.parse($0, transport: .tcp, into: &sockets) }
        #expect(refused == .failed("the kernel refused the sock_diag dump: Permission denied"))
    }
}
