import Shared

/// One `name=version` (or `name:arch=version`) of an `upgrade_packages` command, checked before anything runs.
///
/// Pins come from the network and become apt arguments: argv only, never a shell, but a pin that is not exactly a
/// package name and a version dpkg accepts is refused anyway, so no option (`-o…`), path or glob ever reaches apt.
struct PackagePin: Sendable, Equatable, CustomStringConvertible {
    /// `name` or `name:arch`, as apt prints it.
    var package: String
    var version: DebianVersion

    /// Most pins one command may carry: a whole host's updates, with room.
    static let maxCount = 2_000

    /// Why a pin was refused, fit for the operator.
    struct Refusal: Error, CustomStringConvertible {
        let description: String
    }

    /// Parses `text`; a refusal names the pin and what is wrong with it.
    init(_ text: String) throws(Refusal) {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[1].isEmpty else { throw Refusal(description: "pin \(Self.shown(text)) is not name=version") }
        let name = parts[0].split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard Self.isPackageName(name[0]), name.count == 1 || Self.isArchitecture(name[1]) else {
            throw Refusal(description: "pin \(Self.shown(text)) does not name a package")
        }
        // dpkg's own checks, plus a closed alphabet: DebianVersion accepts what dpkg accepts, dpkg accepts no shell syntax.
        guard parts[1].utf8.allSatisfy(Self.isVersionByte) else { throw Refusal(description: "pin \(Self.shown(text)) has a malformed version") }
        do {
            version = try DebianVersion(String(parts[1]))
        } catch {
            throw Refusal(description: "pin \(Self.shown(text)) has a malformed version: \(error)")
        }
        package = String(parts[0])
    }

    /// The package name without an architecture qualifier.
    var name: Substring { package.split(separator: ":", maxSplits: 1)[0] }

    var description: String { "\(package)=\(version)" }

    /// Parses every pin; refuses an empty list, too many, a bad one, or the same package twice.
    static func parse(_ texts: [String]) throws(Refusal) -> [PackagePin] {
        guard !texts.isEmpty else { throw Refusal(description: "no pins") }
        guard texts.count <= maxCount else { throw Refusal(description: "more than \(maxCount) pins") }
        var pins: [PackagePin] = []
        var seen: Set<String> = []
        for text in texts {
            let pin = try PackagePin(text)
            guard seen.insert(pin.package).inserted else { throw Refusal(description: "\(pin.package) is pinned twice") }
            pins.append(pin)
        }
        return pins
    }

    /// Debian policy 5.6.1: lower-case letters, digits, `+ - .`, at least two characters, starting alphanumeric.
    static func isPackageName(_ name: Substring) -> Bool {
        guard name.utf8.count >= 2, name.utf8.count <= 100, let first = name.utf8.first, isLowerAlphanumeric(first) else { return false }
        return name.utf8.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
    }

    private static func isArchitecture(_ name: Substring) -> Bool {
        !name.isEmpty && name.utf8.count <= 32 && name.utf8.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    private static func isVersionByte(_ byte: UInt8) -> Bool {
        isLowerAlphanumeric(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || Array(".+~:-".utf8).contains(byte)
    }

    /// A pin quoted for a refusal, cut short: the text came from the network.
    private static func shown(_ text: String) -> String {
        let cut = text.unicodeScalars.prefix(80).map { $0.value < 0x20 || $0.value == 0x7F ? "?" : String($0) }.joined()
        return "\"" + cut + (text.unicodeScalars.count > 80 ? "…" : "") + "\""
    }
}
