/// Runs `restart_services`: `systemctl restart <units>`, argv only, for plain unit names.
struct ServiceRestarter: Sendable {
    var systemctl = "/usr/bin/systemctl"
    let runner: any CommandRunner

    /// Most units one command may name.
    static let maxUnits = 50

    func restart(_ units: [String]) async -> ActionReport {
        guard !units.isEmpty, units.count <= Self.maxUnits else { return .refused("expected 1 to \(Self.maxUnits) units") }
        if let bad = units.first(where: { !Self.isPlainUnitName($0) }) {
            return .refused("\(bad.prefix(80)) is not a plain unit name (like nginx.service)")
        }
        let output = await runner.run(ProgramInvocation(systemctl, ["restart", "--"] + units, timeout: .seconds(300)))
        guard output.succeeded else { return .failed("systemctl restart: \(output.failureReason)") }
        return .done("restarted \(units.joined(separator: " "))")
    }

    /// `name.service` (or another unit type): letters, digits, `:-_.\@`, one known suffix, no leading `-`, no path,
    /// no glob. Template instances (`getty@tty1.service`) pass; a bare template (`getty@.service`) does not.
    static func isPlainUnitName(_ name: String) -> Bool {
        let suffixes = [".service", ".socket", ".timer", ".target", ".path", ".mount"]
        guard name.utf8.count <= 256, let suffix = suffixes.first(where: { name.hasSuffix($0) }) else { return false }
        let stem = name.dropLast(suffix.count)
        guard let first = stem.utf8.first, first != UInt8(ascii: "-"), first != UInt8(ascii: "."), !stem.hasSuffix("@") else { return false }
        return stem.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || Array(":-_.\\@".utf8).contains(byte)
        }
    }
}
