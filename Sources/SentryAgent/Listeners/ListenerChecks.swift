import FoundationEssentials
import Logging
import Shared

/// The listeners detector's parts, opened to `vigil-bench listeners` (the benchmark lives outside this module).
public enum ListenerChecks {
    /// A scanner of this process's network namespace, as the detector runs it.
    public struct Poller {
        private var scanner: ListenerScanner

        /// `procNet`: read `/proc/net/*` instead of sock_diag (the fallback, for comparison).
        public init(procNet: Bool = false) {
            scanner = ListenerScanner(source: procNet ? .proc : .netlink)
        }

        /// One poll: the owning pid of each listening socket (nil when unknown).
        public mutating func poll() throws -> [Int32?] {
            do {
                return try scanner.scan().map { $0.owner?.pid }
            } catch {
                throw ListenerCheckError(description: error.description)
            }
        }

        /// How many `/proc/<pid>/fd` walks the owner cache has made.
        public var ownerWalks: Int { scanner.ownerWalks }
    }

    /// A python program that holds 50 loopback listeners and 5,000 connected pairs (10,000 established sockets),
    /// prints "ready" once they exist and keeps them until its standard input closes: the busy host both the benchmark
    /// and the benchmark's test poll against.
    public static let busyHostScript = """
        import resource, socket, sys
        resource.setrlimit(resource.RLIMIT_NOFILE, (12000, 12000))
        listeners = []
        for _ in range(50):
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1024); listeners.append(s)
        target = listeners[0].getsockname()
        held = []
        for _ in range(5000):
            c = socket.socket(); c.connect(target); a, _ = listeners[0].accept(); held += [c, a]
        print("ready", flush=True)
        sys.stdin.read()
        """

    /// Reads and parses `/proc/net/{tcp,tcp6,udp,udp6}` whole, as netstat and osquery do; the listening count.
    public static func readProcNet() -> Int {
        ProcNetTable(proc: ProcFileSystem()).listeningSockets()?.count ?? 0
    }

    /// The whole detector (scanner, debounce, baseline file in `stateDirectory`) driven by the caller's clock.
    public struct Monitor {
        private var monitor: ListenerMonitor

        /// The first tick forms the baseline.
        public init(stateDirectory: String) {
            monitor = ListenerMonitor(
                scanner: ListenerScanner.allNamespaces(), configuration: .init(ephemeralPorts: ListenerIdentity.ephemeralPorts()),
                store: ListenerBaselineStore(stateDirectory: stateDirectory), logger: Logger(label: "vigil-bench"))
        }

        /// One poll; the ports of the new listeners it alerts on.
        public mutating func tick(time: Int64) -> [Int] {
            monitor.tick(time: time).compactMap { detection -> Int? in
                if case .listener(let evidence) = detection.subject { return evidence.port }
                return nil
            }
        }
    }
}

/// A listener check failed; the reason fits a log line.
public struct ListenerCheckError: Error, CustomStringConvertible {
    public let description: String

    public init(description: String) {
        self.description = description
    }
}
