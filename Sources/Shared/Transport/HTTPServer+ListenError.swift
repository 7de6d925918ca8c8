import FlyingSocks
import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

extension HTTPServer {
    /// The listening socket could not be set up, said as a person can act on it: the address, the reason and a hint
    /// (never `SocketError. Bind(98)`).
    public struct ListenError: Error, CustomStringConvertible, LocalizedError {
        public let description: String
        public var errorDescription: String? { description }

        init(host: String, port: UInt16, underlying: any Error) {
            let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            let reason: String
            switch underlying {
            case SocketError.failed(_, let number, _) where number == EADDRINUSE:
                reason = "address in use (is another \(ProcessInfo.processInfo.processName) running? `ss -ltnp 'sport = :\(port)'` shows who has it)"
            case SocketError.failed(_, let number, _) where number == EADDRNOTAVAIL:
                reason = "no interface has this address (check listen.host)"
            case SocketError.failed(_, let number, _) where number == EACCES:
                reason = "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
            case SocketError.failed(_, let number, let message):
                reason = "\(message) (errno \(number))"
            default:
                reason = "\(underlying)"
            }
            description = "cannot listen on \(address): \(reason)"
        }
    }
}
