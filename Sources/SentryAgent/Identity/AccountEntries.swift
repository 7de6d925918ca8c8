import Shared

/// The lines of `/etc/passwd`, `/etc/group`, `/etc/shadow` and `/etc/gshadow` as records keyed by name. Pure: bytes in,
/// values out. Comment, blank and NIS (`+`/`-`) lines are skipped.
enum AccountEntries {
    struct User: Sendable, Equatable {
        var name: String
        var uid: UInt32?
        var gid: UInt32?
        var home: String
        var shell: String
    }

    struct Group: Sendable, Equatable {
        var name: String
        var gid: UInt32?
        var members: [String]
    }

    /// A shadow entry's password field reduced to what may be said about it: never the hash itself.
    enum PasswordState: Sendable, Equatable {
        /// Empty: login without a password.
        case empty
        /// `!` or `*` first: locked (the hash after the `!` is kept to tell an unlock from a new password).
        case locked(rest: String)
        case usable(hash: String)

        init(_ field: Substring) {
            if field.isEmpty {
                self = .empty
            } else if field.hasPrefix("!") || field.hasPrefix("*") {
                self = .locked(rest: String(field.drop { $0 == "!" || $0 == "*" }))
            } else {
                self = .usable(hash: String(field))
            }
        }
    }

    static func users(_ bytes: [UInt8]) -> [String: User] {
        var users: [String: User] = [:]
        for fields in records(bytes) where fields.count >= 7 {
            let name = String(fields[0])
            users[name] = User(name: name, uid: UInt32(fields[2]), gid: UInt32(fields[3]), home: String(fields[5]), shell: String(fields[6]))
        }
        return users
    }

    /// `/etc/group` (`name:x:gid:members`) or, with `shadowFormat`, `/etc/gshadow` (`name:pw:admins:members`).
    static func groups(_ bytes: [UInt8], shadowFormat: Bool = false) -> [String: Group] {
        var groups: [String: Group] = [:]
        for fields in records(bytes) where fields.count >= 4 {
            let name = String(fields[0])
            let members = fields[3].split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
            groups[name] = Group(name: name, gid: shadowFormat ? nil : UInt32(fields[2]), members: members)
        }
        return groups
    }

    static func passwords(_ bytes: [UInt8]) -> [String: PasswordState] {
        var states: [String: PasswordState] = [:]
        for fields in records(bytes) where fields.count >= 2 {
            states[String(fields[0])] = PasswordState(fields[1])
        }
        return states
    }

    private static func records(_ bytes: [UInt8]) -> [[Substring]] {
        String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line in
            guard let first = line.first, first != "#", first != "+", first != "-" else { return nil }
            return line.split(separator: ":", omittingEmptySubsequences: false)
        }
    }
}
