/// The fields of one stanza of a dpkg control file (`/var/lib/dpkg/status`, an apt `Packages` index) that the
/// package checks read; the others are skipped without being copied.
public struct ControlStanza: Sendable, Equatable {
    public var package: String?
    public var architecture: String?
    public var version: String?
    /// `name` or `name (version)`.
    public var source: String?
    /// `want flag status`, status files only.
    public var status: String?

    /// An empty stanza, filled field by field.
    public init() {}
}

/// Splits a control file into stanzas (blank-line separated `Field: value` lines; continuation lines begin with a
/// space or tab) on bytes: the status file of a stock machine is 650 KB, a security index several MB.
public enum ControlStanzas {
    /// Calls `body` with each stanza of `bytes` that names a package, in file order.
    public static func forEach(in bytes: [UInt8], _ body: (ControlStanza) -> Void) {
        bytes.withUnsafeBufferPointer { buffer in
            var stanza = ControlStanza()
            var lineStart = 0
            let count = buffer.count
            while lineStart < count {
                var lineEnd = lineStart
                while lineEnd < count && buffer[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                let first = buffer[lineStart]
                if lineEnd == lineStart || (first == UInt8(ascii: "\r") && lineEnd == lineStart + 1) {
                    if stanza.package != nil { body(stanza) }
                    stanza = ControlStanza()
                } else if first != UInt8(ascii: " ") && first != UInt8(ascii: "\t") {
                    Self.field(buffer, lineStart..<lineEnd, into: &stanza)
                }
                lineStart = lineEnd + 1
            }
            if stanza.package != nil { body(stanza) }
        }
    }

    /// Stores the value of a line's field when it is one of those read (field names are matched as dpkg writes them).
    private static func field(_ buffer: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, into stanza: inout ControlStanza) {
        var colon = line.lowerBound
        while colon < line.upperBound && buffer[colon] != UInt8(ascii: ":") { colon += 1 }
        guard colon < line.upperBound else { return }
        let name = UnsafeBufferPointer(rebasing: buffer[line.lowerBound..<colon])
        let keyPath: WritableKeyPath<ControlStanza, String?>
        switch name.count {
        case 6 where name.elementsEqual("Source".utf8): keyPath = \.source
        case 6 where name.elementsEqual("Status".utf8): keyPath = \.status
        case 7 where name.elementsEqual("Package".utf8): keyPath = \.package
        case 7 where name.elementsEqual("Version".utf8): keyPath = \.version
        case 12 where name.elementsEqual("Architecture".utf8): keyPath = \.architecture
        default: return
        }
        var start = colon + 1
        var end = line.upperBound
        while start < end && (buffer[start] == UInt8(ascii: " ") || buffer[start] == UInt8(ascii: "\t")) { start += 1 }
        while end > start && (buffer[end - 1] == UInt8(ascii: " ") || buffer[end - 1] == UInt8(ascii: "\t") || buffer[end - 1] == UInt8(ascii: "\r"))
        {
            end -= 1
        }
        stanza[keyPath: keyPath] = String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self)
    }

    /// The source package named by a `Source:` field, and its version when the field gives one (a binNMU's binary
    /// version differs from its source's: `Source: glibc (2.36-9)` on a `2.36-9+b1` binary). No field: the binary is
    /// its own source, at its own version.
    public static func source(_ field: String?, package: String, version: String) -> (name: String, version: String) {
        guard let field, !field.isEmpty else { return (package, version) }
        guard let open = field.firstIndex(of: "("), let close = field.lastIndex(of: ")"), open < close else {
            return (field.trimmingSpaces, version)
        }
        return (String(field[..<open]).trimmingSpaces, String(field[field.index(after: open)..<close]).trimmingSpaces)
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        let bytes = Array(utf8)
        guard let first = bytes.firstIndex(where: { $0 != UInt8(ascii: " ") }) else { return "" }
        let last = bytes.lastIndex(where: { $0 != UInt8(ascii: " ") }) ?? first
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
