import FoundationEssentials

/// A Debian package version, `[epoch:]upstream[-revision]`, parsed and ordered exactly as dpkg does
/// (`lib/dpkg/parsehelp.c` `parseversion`, `lib/dpkg/version.c` `verrevcmp`).
///
/// Ordering: the epoch numerically, then the upstream part, then the revision, each compared run by run: a run of
/// non-digits character by character (`~` lowest, even below the end of the string, then letters by ASCII, then every
/// other symbol), then a run of digits numerically. Equal versions need not be spelt alike: `1.0`, `0:1.0` and
/// `1.00-0` are one version to dpkg, so they are one here too.
public struct DebianVersion: Sendable, Comparable, CustomStringConvertible {
    /// Why dpkg would refuse a version string (its own wording, so a log line reads like dpkg's).
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let description: String
        fileprivate init(_ description: String) { self.description = description }
    }

    /// The number before the first colon, 0 when absent.
    public let epoch: Int32
    /// The bytes between the epoch's colon and the last hyphen.
    public let upstream: [UInt8]
    /// The bytes after the last hyphen; empty when there is none (which compares like `0`).
    public let revision: [UInt8]
    /// The string as given, trimmed: what is printed back.
    public let description: String

    /// Parses `text` as dpkg's `parseversion` does. What dpkg only warns about (a first character that is not a digit,
    /// characters outside policy) is accepted as dpkg accepts it; what dpkg refuses is thrown.
    public init(_ text: some StringProtocol) throws(ParseError) {
        var bytes = Array(text.utf8)[...]
        while let first = bytes.first, Self.isBlank(first) { bytes.removeFirst() }
        guard !bytes.isEmpty else { throw ParseError("version string is empty") }
        let end = bytes.firstIndex(where: Self.isBlank) ?? bytes.endIndex
        guard bytes[end...].allSatisfy(Self.isBlank) else { throw ParseError("version string has embedded spaces") }
        bytes = bytes[..<end]
        let trimmed = bytes

        var epoch: Int32 = 0
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            epoch = try Self.epoch(bytes[..<colon])
            bytes = bytes[(colon + 1)...]
            guard !bytes.isEmpty else { throw ParseError("nothing after colon in version number") }
        }
        var upstream = bytes
        var revision = bytes[bytes.endIndex...]
        if let hyphen = bytes.lastIndex(of: UInt8(ascii: "-")) {
            upstream = bytes[..<hyphen]
            revision = bytes[(hyphen + 1)...]
            guard !revision.isEmpty else { throw ParseError("revision number is empty") }
        }
        guard !upstream.isEmpty else { throw ParseError("version number is empty") }
        self.epoch = epoch
        self.upstream = Array(upstream)
        self.revision = Array(revision)
        self.description = String(decoding: trimmed, as: UTF8.self)
    }

    /// dpkg reads the epoch with `strtol`: an optional sign, then digits up to the colon, at most `INT_MAX`.
    private static func epoch(_ bytes: ArraySlice<UInt8>) throws(ParseError) -> Int32 {
        var digits = bytes
        var negative = false
        if let sign = digits.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            digits.removeFirst()
        }
        let run = digits.prefix(while: isDigit)
        guard !run.isEmpty else { throw ParseError("epoch in version is empty") }
        guard run.count == digits.count else { throw ParseError("epoch in version is not number") }
        var value: Int64 = 0
        for digit in run {
            value = value * 10 + Int64(digit &- UInt8(ascii: "0"))
            if value > Int64(Int32.max) + 1 { break }
        }
        if negative, value != 0 { throw ParseError("epoch in version is negative") }
        guard value <= Int64(Int32.max) else { throw ParseError("epoch in version is too big") }
        return Int32(value)
    }

    /// dpkg's three-way comparison: negative, zero or positive.
    public static func compare(_ lhs: DebianVersion, _ rhs: DebianVersion) -> Int {
        if lhs.epoch != rhs.epoch { return lhs.epoch < rhs.epoch ? -1 : 1 }
        let upstream = verrevcmp(lhs.upstream, rhs.upstream)
        if upstream != 0 { return upstream }
        return verrevcmp(lhs.revision, rhs.revision)
    }

    public static func < (lhs: DebianVersion, rhs: DebianVersion) -> Bool { compare(lhs, rhs) < 0 }

    /// Equal as dpkg sees it (`1.0` equals `1.00`), not as spelt.
    public static func == (lhs: DebianVersion, rhs: DebianVersion) -> Bool { compare(lhs, rhs) == 0 }

    /// `verrevcmp` over two byte strings, with the end of a string read as a 0 byte as in C.
    static func verrevcmp(_ lhs: [UInt8], _ rhs: [UInt8]) -> Int {
        lhs.withUnsafeBufferPointer { a -> Int in
            rhs.withUnsafeBufferPointer { b -> Int in
                var i = 0
                var j = 0
                while i < a.count || j < b.count {
                    // A run of non-digits on either side, character by character.
                    while (i < a.count && !isDigit(a[i])) || (j < b.count && !isDigit(b[j])) {
                        let left = order(i < a.count ? a[i] : 0)
                        let right = order(j < b.count ? b[j] : 0)
                        if left != right { return left - right }
                        i += 1
                        j += 1
                    }
                    // Then a run of digits, numerically: leading zeros skipped, the longer run is larger, else the first
                    // differing digit decides.
                    while i < a.count && a[i] == UInt8(ascii: "0") { i += 1 }
                    while j < b.count && b[j] == UInt8(ascii: "0") { j += 1 }
                    var firstDifference = 0
                    while i < a.count && j < b.count && isDigit(a[i]) && isDigit(b[j]) {
                        if firstDifference == 0 { firstDifference = Int(a[i]) - Int(b[j]) }
                        i += 1
                        j += 1
                    }
                    if i < a.count && isDigit(a[i]) { return 1 }
                    if j < b.count && isDigit(b[j]) { return -1 }
                    if firstDifference != 0 { return firstDifference }
                }
                return 0
            }
        }
    }

    /// dpkg's `order`: digits (and the end) 0, `~` below everything, letters by ASCII, other symbols above letters.
    @inline(__always)
    private static func order(_ byte: UInt8) -> Int {
        if isDigit(byte) || byte == 0 { return 0 }
        if isLetter(byte) { return Int(byte) }
        if byte == UInt8(ascii: "~") { return -1 }
        return Int(byte) + 256
    }

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    @inline(__always)
    private static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) &- UInt8(ascii: "a") < 26 }

    /// dpkg's `c_isblank`: space and tab only.
    private static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
}
