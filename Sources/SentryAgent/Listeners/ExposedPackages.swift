import Logging
import Shared

/// The packages whose programs listen beyond loopback, for the inventory's `exposed` field: a vulnerable package
/// that serves the network is ranked above the same package used only locally.
enum ExposedPackages {
    /// The owning binary packages of the listeners bound beyond loopback (or published by a DNAT rule); nil when the
    /// socket table cannot be read.
    static func current(logger: Logger) -> Set<String>? {
        var scanner = ListenerScanner()
        do {
            return exposed(try scanner.scan())
        } catch {
            logger.notice("cannot list the listeners for the inventory; it goes without exposure", metadata: ["reason": "\(error)"])
            return nil
        }
    }

    static func exposed(_ listeners: [Listener]) -> Set<String> {
        Set(listeners.filter { $0.socket.scope.isExposed || !$0.published.isEmpty }.compactMap(\.package.name))
    }
}
