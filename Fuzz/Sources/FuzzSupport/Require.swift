#if canImport(Glibc)
    import Glibc
#endif

/// Stops the fuzzer with `message` when a property of the code under test does not hold: libFuzzer treats the abort
/// as a crash and saves the input that caused it.
public func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    guard !condition else { return }
    fputs("fuzz property violated: \(message())\n", stderr)
    abort()
}

/// The input as bytes.
public func inputBytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: size))
}

/// Splits `bytes` at `separator` (keeping empty pieces), without building strings.
public func split(_ bytes: ArraySlice<UInt8>, at separator: UInt8) -> [ArraySlice<UInt8>] {
    bytes.split(separator: separator, omittingEmptySubsequences: false)
}
