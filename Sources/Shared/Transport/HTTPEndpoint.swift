/// Where a plain-HTTP peer listens, parsed strictly from an `http://host:port` URL.
public struct HTTPEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: UInt16
    /// Path prefix from the URL, without a trailing slash (usually empty).
    public var basePath: String

    public init(host: String, port: UInt16, basePath: String = "") {
        self.host = host
        self.port = port
        self.basePath = basePath
    }

    /// Parses `http://host[:port][/base]`; IPv6 literals in brackets. Nil for anything else, including `https`.
    public init?(url: String) {
        guard url.hasPrefix("http://") else { return nil }
        var rest = Substring(url.dropFirst("http://".count))
        var base = ""
        if let slash = rest.firstIndex(of: "/") {
            base = String(rest[slash...])
            rest = rest[..<slash]
            while base.hasSuffix("/") { base.removeLast() }
        }
        let hostPart: Substring
        var portPart: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portPart = after.dropFirst()
            }
        } else {
            let pieces = rest.split(separator: ":", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { return nil }
            hostPart = pieces[0]
            portPart = pieces.count == 2 ? pieces[1] : nil
        }
        guard !hostPart.isEmpty, hostPart.allSatisfy({ $0.isLetter || $0.isNumber || "-.:".contains($0) }) else { return nil }
        let port: UInt16
        if let portPart {
            guard let parsed = UInt16(portPart), parsed > 0 else { return nil }
            port = parsed
        } else {
            port = 80
        }
        guard base.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "?" && $0 != "#" }) else { return nil }
        self.init(host: String(hostPart), port: port, basePath: base)
    }

    public var description: String {
        host.contains(":") ? "http://[\(host)]:\(port)\(basePath)" : "http://\(host):\(port)\(basePath)"
    }
}
