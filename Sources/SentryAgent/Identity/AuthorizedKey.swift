import Crypto
import FoundationEssentials
import Shared

/// One line of an `authorized_keys` file: options, key type, key blob and comment (sshd(8) AUTHORIZED_KEYS FILE FORMAT).
struct AuthorizedKey: Sendable, Equatable {
    /// The options before the key type (`command="…",from="…"`), as written; empty when none.
    var options: String
    var type: String
    /// The base64 key blob as written.
    var blob: String
    var comment: String
    /// The line as written, for removing exactly this key.
    var line: String

    /// The key types sshd accepts; a first word that is none of these starts the options.
    static let types: Set<String> = [
        "ssh-ed25519", "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "ssh-ed25519-cert-v01@openssh.com",
        "ssh-rsa-cert-v01@openssh.com", "ecdsa-sha2-nistp256-cert-v01@openssh.com",
    ]

    /// Parses one line; nil for blank, comment and unparsable lines.
    init?(line: Substring) {
        let text = line.trimmingWhitespace()
        guard !text.isEmpty, !text.hasPrefix("#") else { return nil }
        var rest = Substring(text)
        var options = ""
        if let first = rest.split(separator: " ", maxSplits: 1).first, !Self.types.contains(String(first)) {
            // Options end at the first blank outside double quotes.
            var inQuotes = false
            var end = rest.startIndex
            while end < rest.endIndex {
                let character = rest[end]
                if character == "\"" { inQuotes.toggle() }
                if !inQuotes, character == " " || character == "\t" { break }
                end = rest.index(after: end)
            }
            options = String(rest[..<end])
            rest = rest[end...].drop { $0 == " " || $0 == "\t" }
        }
        let words = rest.split(maxSplits: 2, whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count >= 2, Self.types.contains(String(words[0])) else { return nil }
        self.options = options
        type = String(words[0])
        blob = String(words[1])
        comment = words.count > 2 ? String(words[2]) : ""
        self.line = text
    }

    /// The key's fingerprint as `ssh-keygen -lf` prints it: `SHA256:` and the unpadded base64 of the blob's SHA-256.
    var fingerprint: String {
        guard let decoded = Data(base64Encoded: blob) else { return "SHA256:?" }
        let digest = Data(SHA256.hash(data: decoded)).base64EncodedString()
        return "SHA256:" + digest.replacing("=", with: "")
    }

    /// `SHA256:` and 43 characters of base64: a fingerprint as `fingerprint` writes it.
    static func isFingerprint(_ text: String) -> Bool {
        guard text.hasPrefix("SHA256:") else { return false }
        let digest = text.utf8.dropFirst("SHA256:".utf8.count)
        return digest.count == 43
            && digest.allSatisfy { byte in
                (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "/")
            }
    }

    /// The options that restrict or widen what the key may do (`command=`, `from=`), for the alert.
    var notableOptions: [String] {
        Self.splitOptions(options).filter { option in
            let lower = option.lowercased()
            return lower.hasPrefix("command=") || lower.hasPrefix("from=") || lower.hasPrefix("environment=") || lower.hasPrefix("permitopen=")
                || lower.hasPrefix("principals=") || lower == "cert-authority"
        }
    }

    /// The options split on commas outside double quotes.
    static func splitOptions(_ options: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var inQuotes = false
        for character in options {
            if character == "\"" { inQuotes.toggle() }
            if character == ",", !inQuotes {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { parts.append(current) }
        return parts
    }

    /// Every key of a file, in order.
    static func all(in bytes: [UInt8]) -> [AuthorizedKey] {
        String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { AuthorizedKey(line: $0) }
    }
}
