import Testing

@testable import SentryAgent

@Suite("Outbox record framing")
struct OutboxRecordTests {
    @Test("framed records read back in order")
    func roundTrip() {
        let payloads: [[UInt8]] = [Array("one".utf8), [], Array(repeating: 0x00, count: 300)]
        #expect(OutboxRecord.scan(payloads.flatMap(OutboxRecord.frame)).payloads == payloads)
    }

    @Test("a flipped bit loses one record and reading resumes at the next")
    func flippedBit() {
        var bytes = [Array("a".utf8), Array("bb".utf8), Array("ccc".utf8)].flatMap(OutboxRecord.frame)
        bytes[11 + 10] ^= 0x01
        let scan = OutboxRecord.scan(bytes)
        #expect(scan.payloads == [Array("a".utf8), Array("ccc".utf8)])
        #expect(scan.damagedRegions == 1)
    }

    @Test("a huge declared length is damage, not an allocation")
    func hugeLength() {
        let bytes: [UInt8] = [0x56, 0x41, 0xFF, 0xFF, 0xFF, 0x7F, 0, 0, 0, 0] + OutboxRecord.frame(Array("ok".utf8))
        #expect(OutboxRecord.scan(bytes).payloads == [Array("ok".utf8)])
    }

    @Test("CRC-32 matches the standard check value")
    func crc() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }
}
