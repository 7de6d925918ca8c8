/// 64-bit FNV-1a: tiny, fast on short inputs, and good enough to tell two log prefixes apart (not an adversarial hash).
enum FNV1a {
    static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01B3

    static func hash(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt64 = offsetBasis) -> UInt64 {
        var hash = seed
        for byte in bytes {
            hash = (hash ^ UInt64(byte)) &* prime
        }
        return hash
    }

    static func hash(_ text: String, seed: UInt64 = offsetBasis) -> UInt64 {
        var copy = text
        return copy.withUTF8 { hash($0, seed: seed) }
    }
}
