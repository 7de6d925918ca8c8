import FoundationEssentials

/// An RPM package version, `[epoch:]version[-release]`, parsed as rpm's `parseEVR` does and ordered exactly as its
/// `rpmverCmp` (rpm 4.18 `lib/rpmver.c`, each part through `rpmvercmp` of `rpmio/rpmvercmp.c`).
///
/// Ordering: the epoch (absent reads as `0`), then the version, then the release (present is newer than absent), each
/// compared segment by segment. Segments are maximal runs of ASCII digits or of ASCII letters; every other byte only
/// separates them. `~` sorts before everything, the end of the string included (`1.0~rc1` < `1.0`); `^` sorts after
/// the end but before anything else (`1.0` < `1.0^git1` < `1.0.1`). A numeric segment is newer than an alphabetic one;
/// digits compare numerically with leading zeros ignored, letters byte by byte. When every segment matched, the string
/// with segments left over is newer; separators alone do not count (`1.0` equals `1.0.` and `1_0`).
public struct RPMVersion: Sendable, Comparable, CustomStringConvertible {
    /// Why a version string cannot be an RPM version (rpm refuses an empty one; a NUL byte would end it early in C).
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let description: String
        fileprivate init(_ description: String) { self.description = description }
    }

    /// The digits before a colon at the start; nil when there is none (compared as `0`). `:1.0` has an empty epoch,
    /// which rpm reads as `0`.
    public let epoch: [UInt8]?
    /// Between the epoch's colon and the last hyphen.
    public let version: [UInt8]
    /// After the last hyphen; nil without one (an empty release after a trailing hyphen is present, and empty).
    public let release: [UInt8]?
    /// The string as given.
    public let description: String

    /// Parses `text` as rpm's `parseEVR`: leading digits followed by `:` are the epoch, the last hyphen splits version
    /// and release. Only an empty string or one holding a NUL byte is refused; rpm accepts anything else.
    public init(_ text: some StringProtocol) throws(ParseError) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw ParseError("version string is empty") }
        guard !bytes.contains(0) else { throw ParseError("version string holds a NUL byte") }
        var start = 0
        var afterDigits = 0
        while afterDigits < bytes.count, Self.isDigit(bytes[afterDigits]) { afterDigits += 1 }
        if afterDigits < bytes.count, bytes[afterDigits] == UInt8(ascii: ":") {
            epoch = afterDigits == 0 ? Array("0".utf8) : Array(bytes[..<afterDigits])
            start = afterDigits + 1
        } else {
            epoch = nil
        }
        // rpm looks for the hyphen from the end of the epoch's digits; digits hold none, so this is the last hyphen.
        if let hyphen = bytes[start...].lastIndex(of: UInt8(ascii: "-")) {
            version = Array(bytes[start..<hyphen])
            release = Array(bytes[(hyphen + 1)...])
        } else {
            version = Array(bytes[start...])
            release = nil
        }
        description = String(text)
    }

    /// rpm's three-way comparison: -1, 0 or 1.
    public static func compare(_ lhs: RPMVersion, _ rhs: RPMVersion) -> Int {
        let zero: [UInt8] = [UInt8(ascii: "0")]
        let epoch = rpmvercmp(lhs.epoch ?? zero, rhs.epoch ?? zero)
        if epoch != 0 { return epoch }
        let version = rpmvercmp(lhs.version, rhs.version)
        if version != 0 { return version }
        switch (lhs.release, rhs.release) {
        case (nil, nil): return 0
        case (nil, _): return -1
        case (_, nil): return 1
        case (let left?, let right?): return rpmvercmp(left, right)
        }
    }

    public static func < (lhs: RPMVersion, rhs: RPMVersion) -> Bool { compare(lhs, rhs) < 0 }

    /// Equal as rpm sees it (`1.0` equals `1.00` and `1.0.`), not as spelt.
    public static func == (lhs: RPMVersion, rhs: RPMVersion) -> Bool { compare(lhs, rhs) == 0 }

    /// `rpmvercmp` over two byte strings (no NUL inside), with the end of a string read as C's terminating 0.
    static func rpmvercmp(_ lhs: [UInt8], _ rhs: [UInt8]) -> Int {
        if lhs == rhs { return 0 }
        return lhs.withUnsafeBufferPointer { a -> Int in
            rhs.withUnsafeBufferPointer { b -> Int in
                var i = 0
                var j = 0
                @inline(__always) func at(_ buffer: UnsafeBufferPointer<UInt8>, _ index: Int) -> UInt8 {
                    index < buffer.count ? buffer[index] : 0
                }
                while i < a.count || j < b.count {
                    while i < a.count, isSeparator(a[i]) { i += 1 }
                    while j < b.count, isSeparator(b[j]) { j += 1 }
                    let one = at(a, i)
                    let two = at(b, j)
                    // `~` before everything, the end included.
                    if one == UInt8(ascii: "~") || two == UInt8(ascii: "~") {
                        if one != UInt8(ascii: "~") { return 1 }
                        if two != UInt8(ascii: "~") { return -1 }
                        i += 1
                        j += 1
                        continue
                    }
                    // `^` after the end, before anything else.
                    if one == UInt8(ascii: "^") || two == UInt8(ascii: "^") {
                        if one == 0 { return -1 }
                        if two == 0 { return 1 }
                        if one != UInt8(ascii: "^") { return 1 }
                        if two != UInt8(ascii: "^") { return -1 }
                        i += 1
                        j += 1
                        continue
                    }
                    if one == 0 || two == 0 { break }
                    // One segment each, of the kind the left one starts with.
                    let numeric = isDigit(one)
                    var endOne = i
                    var endTwo = j
                    if numeric {
                        while endOne < a.count, isDigit(a[endOne]) { endOne += 1 }
                        while endTwo < b.count, isDigit(b[endTwo]) { endTwo += 1 }
                    } else {
                        while endOne < a.count, isLetter(a[endOne]) { endOne += 1 }
                        while endTwo < b.count, isLetter(b[endTwo]) { endTwo += 1 }
                    }
                    // The right one is of the other kind: numbers are newer than letters.
                    if endTwo == j { return numeric ? 1 : -1 }
                    if numeric {
                        while i < endOne, a[i] == UInt8(ascii: "0") { i += 1 }
                        while j < endTwo, b[j] == UInt8(ascii: "0") { j += 1 }
                        let lengthOne = endOne - i
                        let lengthTwo = endTwo - j
                        if lengthOne != lengthTwo { return lengthOne > lengthTwo ? 1 : -1 }
                    }
                    // `strcmp` of the two segments.
                    while i < endOne, j < endTwo {
                        if a[i] != b[j] { return a[i] < b[j] ? -1 : 1 }
                        i += 1
                        j += 1
                    }
                    if i < endOne { return 1 }
                    if j < endTwo { return -1 }
                }
                let oneLeft = i < a.count
                let twoLeft = j < b.count
                if !oneLeft && !twoLeft { return 0 }
                return oneLeft ? 1 : -1
            }
        }
    }

    /// Neither an ASCII letter or digit, nor `~` or `^`: it only separates segments.
    @inline(__always)
    private static func isSeparator(_ byte: UInt8) -> Bool {
        !isDigit(byte) && !isLetter(byte) && byte != UInt8(ascii: "~") && byte != UInt8(ascii: "^")
    }

    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    @inline(__always)
    private static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) &- UInt8(ascii: "a") < 26 }
}
