/// The framing of outbox files: `V` `A` magic, payload length (UInt32 LE), CRC-32 of the payload (UInt32 LE), payload.
///
/// Pure functions over bytes, so damage handling is tested without a disk: a torn tail or flipped bits lose only the
/// damaged record; reading resumes at the next intact frame.
enum OutboxRecord {
    static let magic: [UInt8] = [0x56, 0x41]
    static let headerSize = 10
    /// Larger than any alert the HTTP layer would accept; a bigger length is damage, not data.
    static let maxPayload = 1 << 20

    static func frame(_ payload: [UInt8]) -> [UInt8] {
        var bytes = magic
        bytes.reserveCapacity(headerSize + payload.count)
        append(UInt32(payload.count), to: &bytes)
        append(CRC32.checksum(payload), to: &bytes)
        bytes += payload
        return bytes
    }

    /// What reading a file found.
    struct Scan: Equatable {
        var payloads: [[UInt8]] = []
        /// Stretches of bytes that were not an intact record (each counted once).
        var damagedRegions = 0
        var damagedBytes = 0
    }

    static func scan(_ bytes: [UInt8]) -> Scan {
        var result = Scan()
        var index = 0
        var inDamage = false
        while index < bytes.count {
            if let (payload, next) = record(at: index, in: bytes) {
                result.payloads.append(payload)
                index = next
                inDamage = false
            } else {
                if !inDamage { result.damagedRegions += 1 }
                inDamage = true
                result.damagedBytes += 1
                index += 1
            }
        }
        return result
    }

    private static func record(at index: Int, in bytes: [UInt8]) -> ([UInt8], Int)? {
        guard index + headerSize <= bytes.count, bytes[index] == magic[0], bytes[index + 1] == magic[1] else { return nil }
        let length = Int(read(bytes, at: index + 2))
        let checksum = read(bytes, at: index + 6)
        let start = index + headerSize
        guard length <= maxPayload, start + length <= bytes.count else { return nil }
        let payload = Array(bytes[start..<(start + length)])
        guard CRC32.checksum(payload) == checksum else { return nil }
        return (payload, start + length)
    }

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    private static func read(_ bytes: [UInt8], at index: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[index + $1]) << UInt32(8 * $1) }
    }
}
