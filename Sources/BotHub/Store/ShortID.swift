import Foundation
import GRDB

/// Short alert ids for `callback_data`: the first 12 hex digits of the UUID (48 bits). An agent chooses its alert ids,
/// so a compromised or buggy one can repeat another alert's first 12 digits on purpose; such an alert gets a longer
/// prefix of its own id instead (up to all 32 digits, which the primary key makes unique), never a refused batch.
enum ShortID {
    /// The lengths tried in order; the longest keeps `v1:block_ip_permanent:<id>` at 54 bytes, under Telegram's 64.
    static let lengths = [12, 16, 20, 24, 32]

    static func make(_ id: UUID, length: Int = 12) -> String {
        String(id.uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(length))
    }

    /// The shortest short id of `id` no stored alert holds yet.
    static func unused(for id: UUID, in db: Database) throws -> String {
        for length in lengths.dropLast() {
            let candidate = make(id, length: length)
            if try StoredAlert.filter(Column("shortId") == candidate).fetchCount(db) == 0 { return candidate }
        }
        return make(id, length: 32)
    }

    /// True for text that can be a short id: 12 to 32 lowercase or uppercase hex digits.
    static func isWellFormed(_ text: some StringProtocol) -> Bool {
        (12...32).contains(text.count) && text.allSatisfy(\.isHexDigit)
    }
}
