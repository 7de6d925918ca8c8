#if canImport(Glibc)
    import Glibc
#endif

/// Byte-level helpers for the log parsers: `memchr`/`memcmp` over the line as the writer wrote it, no `String`, no
/// regex, no allocation. Indices are offsets into the buffer; every function checks its bounds.
extension UnsafeBufferPointer where Element == UInt8 {
    /// The index of the first `byte` at or after `start`, or nil.
    @inline(__always)
    func index(of byte: UInt8, from start: Int) -> Int? {
        guard let base = baseAddress, start < count else { return nil }
        guard let found = memchr(base + start, Int32(byte), count - start) else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// The index of the first occurrence of `needle` at or after `start`, or nil.
    @inline(__always)
    func index(of needle: [UInt8], from start: Int) -> Int? {
        needle.withUnsafeBufferPointer { index(of: $0, from: start) }
    }

    /// True when `literal` appears exactly at `position`.
    @inline(__always)
    func matches(_ literal: UnsafeBufferPointer<UInt8>, at position: Int) -> Bool {
        guard position >= 0, position + literal.count <= count, let base = baseAddress else { return false }
        guard let literalBase = literal.baseAddress else { return true }
        return memcmp(base + position, literalBase, literal.count) == 0
    }

    /// The index of the first occurrence of `needle` at or after `start`, or nil.
    func index(of needle: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard let first = needle.first else { return start }
        var position = start
        while let candidate = index(of: first, from: position) {
            if candidate + needle.count > count { return nil }
            if matches(needle, at: candidate) { return candidate }
            position = candidate + 1
        }
        return nil
    }

    /// True when `literal` appears exactly at `position`.
    @inline(__always)
    func matches(_ literal: [UInt8], at position: Int) -> Bool {
        literal.withUnsafeBufferPointer { matches($0, at: position) }
    }

    /// The index just past the run of ASCII digits starting at `position` (== `position` if none).
    @inline(__always)
    func endOfDigits(from position: Int) -> Int {
        var index = position
        while index < count, self[index] &- 0x30 < 10 { index += 1 }
        return index
    }

    /// The decimal number in `range` (at most 18 digits), or nil if it is empty or not all digits.
    @inline(__always)
    func decimal(_ range: Range<Int>) -> Int64? {
        guard !range.isEmpty, range.count <= 18, range.upperBound <= count else { return nil }
        var value: Int64 = 0
        for index in range {
            let digit = self[index] &- 0x30
            guard digit < 10 else { return nil }
            value = value * 10 + Int64(digit)
        }
        return value
    }

    /// The index just before any trailing `\r` (sshd's `-E` log ends lines with CR LF).
    @inline(__always)
    var endIgnoringCarriageReturn: Int {
        var end = count
        while end > 0, self[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return end
    }

    /// The bytes in `range` as a `String` (invalid UTF-8 repaired): only for values that go into an alert.
    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: self[range]), as: UTF8.self)
    }
}

/// Literal byte strings the parsers look for, spelled once.
extension Array where Element == UInt8 {
    init(ascii text: StaticString) {
        self = text.withUTF8Buffer { Array($0) }
    }
}
