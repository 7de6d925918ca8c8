/// What one sshd message says, for the SSH detectors. Ranges index into the line's bytes.
enum SSHLogMessage: Equatable {
    /// `Accepted <method> for <user> from <ip> port <port> ssh2`.
    case accepted(method: Range<Int>, user: Range<Int>, ip: IPKey, port: Int)
    /// A failed or hostile authentication step from `ip`.
    case failure(SSHFailure, user: Range<Int>?, ip: IPKey)

    /// Parses the message in `bytes[range]` (after the syslog header), or nil if it is none of the above.
    ///
    /// Attacker-chosen user names may contain spaces and even ` from 1.2.3.4 port 22`, and a certificate's key ID
    /// (chosen by whoever runs the CA) follows `ssh2:` on an `Accepted` line. So the parse is anchored on what sshd
    /// itself appends at the very end: known trailers (` [preauth]`, ` ssh2`, ` ssh2: <key>`) are cut first, then
    /// the message must end in ` from <ip>` with nothing but an optional ` port <n>` after it. Text that merely
    /// looks like that tail earlier in the line (inside a user name) is never where the address is read.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> SSHLogMessage? {
        guard range.count > 16 else { return nil }
        var start = range.lowerBound
        let end = range.upperBound
        switch bytes[start] {
        case UInt8(ascii: "A"):
            guard bytes.matches(Literal.accepted, at: start) else { return nil }
            return parseAccepted(bytes, start + Literal.accepted.count, end)
        case UInt8(ascii: "F"):
            guard bytes.matches(Literal.failed, at: start) else { return nil }
            return parseFailed(bytes, start + Literal.failed.count, end)
        case UInt8(ascii: "I"):
            guard bytes.matches(Literal.invalidUser, at: start) else { return nil }
            // `Invalid user <user> from <ip> port <port>` (older sshd: without the port).
            guard let (user, ip, _) = userFromAddress(bytes, start + Literal.invalidUser.count, end, port: .optional) else { return nil }
            return .failure(.invalidUser, user: user, ip: ip)
        case UInt8(ascii: "p"):
            guard bytes.matches(Literal.pamUnix, at: start), let found = bytes.index(of: Literal.authenticationFailure, from: start),
                found < end
            else { return nil }
            return parsePAMKeyValues(bytes, found, end)
        case UInt8(ascii: "P"):
            // `PAM: Authentication failure for <user> from <ip-or-host>` (sshd's own PAM conversation, e.g. in -E logs).
            guard bytes.matches(Literal.pamColon, at: start) else { return nil }
            guard let (user, ip, _) = userFromAddress(bytes, start + Literal.pamColon.count, end, port: .none) else { return nil }
            return .failure(.authenticationFailure, user: user, ip: ip)
        case UInt8(ascii: "e"), UInt8(ascii: "m"):
            if bytes.matches(Literal.errorPrefix, at: start) { start += Literal.errorPrefix.count }
            guard bytes.matches(Literal.maximumAttempts, at: start) else { return nil }
            var userStart = start + Literal.maximumAttempts.count
            if bytes.matches(Literal.invalidUserInline, at: userStart) { userStart += Literal.invalidUserInline.count }
            guard let (user, ip, _) = userFromAddress(bytes, userStart, end, port: .required) else { return nil }
            return .failure(.maximumAttemptsExceeded, user: user, ip: ip)
        case UInt8(ascii: "C"):
            guard bytes.matches(Literal.closedAuthenticating, at: start), bytes.matches(Literal.preauth, at: end - Literal.preauth.count) else {
                return nil
            }
            // `Connection closed by authenticating user <user> <ip> port <port> [preauth]`: no "from" here.
            let userStart = start + Literal.closedAuthenticating.count
            guard let (userEnd, ip, _) = anchoredAddress(bytes, userStart, end - Literal.preauth.count, separator: Literal.space, port: .required)
            else { return nil }
            return .failure(.closedDuringAuthentication, user: userStart < userEnd ? userStart..<userEnd : nil, ip: ip)
        default:
            return nil
        }
    }

    private static func parseAccepted(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> SSHLogMessage? {
        guard let methodEnd = bytes.index(of: UInt8(ascii: " "), from: start), methodEnd < end,
            bytes.matches(Literal.forWord, at: methodEnd)
        else { return nil }
        let userStart = methodEnd + Literal.forWord.count
        // The key information after `ssh2: ` ends the line and may hold a certificate's key ID (`… ID <key id>
        // (serial N) CA …`), free text that can read ` from 192.0.2.99 port 22`: cut at the first `ssh2: `. (The user
        // of an accepted login is an account name; one holding ` ssh2: ` only makes the line unreadable.)
        var tailEnd = end
        if let keyInfo = bytes.index(of: Literal.ssh2Colon, from: userStart), keyInfo < end { tailEnd = keyInfo + Literal.ssh2.count }
        guard let (user, ip, port) = userFromAddress(bytes, userStart, tailEnd, port: .required), let user, let port else { return nil }
        return .accepted(method: start..<methodEnd, user: user, ip: ip, port: port)
    }

    /// `Failed <method> for [invalid user ]<user> from <ip> port <port> ssh2`: only password guesses count
    /// (a `Failed publickey` is a client offering keys, which a legitimate user with several keys does).
    private static func parseFailed(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> SSHLogMessage? {
        let isPassword = bytes.matches(Literal.passwordFor, at: start)
        let isKeyboard = bytes.matches(Literal.keyboardInteractiveFor, at: start)
        guard isPassword || isKeyboard else { return nil }
        var userStart = start + (isPassword ? Literal.passwordFor.count : Literal.keyboardInteractiveFor.count)
        if bytes.matches(Literal.invalidUserInline, at: userStart) { userStart += Literal.invalidUserInline.count }
        guard let (user, ip, _) = userFromAddress(bytes, userStart, end, port: .required) else { return nil }
        return .failure(.failedPassword, user: user, ip: ip)
    }

    /// `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=<ip>  user=<user>`.
    private static func parsePAMKeyValues(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> SSHLogMessage? {
        guard let rhostAt = bytes.index(of: Literal.rhost, from: start), rhostAt < end else { return nil }
        let ipStart = rhostAt + Literal.rhost.count
        let ipEnd = min(bytes.index(of: UInt8(ascii: " "), from: ipStart) ?? end, end)
        guard let ip = IPKey(bytes, ipStart..<ipEnd) else { return nil }
        var user: Range<Int>?
        if let userAt = bytes.index(of: Literal.userEquals, from: ipEnd), userAt < end {
            let userStart = userAt + Literal.userEquals.count
            if userStart < end { user = userStart..<end }
        }
        return .failure(.authenticationFailure, user: user, ip: ip)
    }

    /// Whether sshd writes ` port <n>` after the address.
    private enum PortRule {
        case required
        /// `Invalid user` of older sshd has none.
        case optional
        case none
    }

    /// Splits `<user> from <ip>[ port <n>][ ssh2][ [preauth]]` at the ` from ` sshd wrote: the one just before the
    /// address that ends the message once the trailers are cut, never an earlier one inside the user name.
    private static func userFromAddress(
        _ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, port: PortRule
    ) -> (user: Range<Int>?, ip: IPKey, port: Int?)? {
        var tailEnd = end
        if bytes.hasSuffix(Literal.preauth, in: start..<tailEnd) { tailEnd -= Literal.preauth.count }
        if bytes.hasSuffix(Literal.ssh2, in: start..<tailEnd) { tailEnd -= Literal.ssh2.count }
        guard let (userEnd, ip, number) = anchoredAddress(bytes, start, tailEnd, separator: Literal.from, port: port) else { return nil }
        return (userEnd > start ? start..<userEnd : nil, ip, number)
    }

    /// Reads `<separator><ip>[ port <n>]` at the very end of `bytes[start..<end]`; returns where the separator starts
    /// (the end of what precedes it), the address and the port.
    private static func anchoredAddress(
        _ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, separator: [UInt8], port rule: PortRule
    ) -> (Int, IPKey, Int?)? {
        guard let lastSpace = bytes.lastIndex(of: UInt8(ascii: " "), in: start..<end) else { return nil }
        var ipEnd = end
        var port: Int?
        let portStart = lastSpace + 1 - Literal.port.count
        if rule != .none, portStart >= start, bytes.matches(Literal.port, at: portStart), let value = bytes.decimal(lastSpace + 1..<end),
            value <= 65_535
        {
            port = Int(value)
            ipEnd = portStart
        } else if rule == .required {
            return nil
        }
        guard let ipSpace = bytes.lastIndex(of: UInt8(ascii: " "), in: start..<ipEnd) else { return nil }
        let separatorStart = ipSpace + 1 - separator.count
        guard separatorStart >= start, bytes.matches(separator, at: separatorStart), let ip = IPKey(bytes, ipSpace + 1..<ipEnd) else { return nil }
        return (separatorStart, ip, port)
    }

    private enum Literal {
        static let accepted = [UInt8](ascii: "Accepted ")
        static let failed = [UInt8](ascii: "Failed ")
        static let passwordFor = [UInt8](ascii: "password for ")
        static let keyboardInteractiveFor = [UInt8](ascii: "keyboard-interactive/pam for ")
        static let invalidUser = [UInt8](ascii: "Invalid user ")
        static let invalidUserInline = [UInt8](ascii: "invalid user ")
        static let pamUnix = [UInt8](ascii: "pam_unix(sshd:auth)")
        static let pamColon = [UInt8](ascii: "PAM: Authentication failure for ")
        static let authenticationFailure = [UInt8](ascii: "authentication failure;")
        static let rhost = [UInt8](ascii: "rhost=")
        static let userEquals = [UInt8](ascii: " user=")
        static let errorPrefix = [UInt8](ascii: "error: ")
        static let maximumAttempts = [UInt8](ascii: "maximum authentication attempts exceeded for ")
        static let closedAuthenticating = [UInt8](ascii: "Connection closed by authenticating user ")
        static let preauth = [UInt8](ascii: " [preauth]")
        static let forWord = [UInt8](ascii: " for ")
        static let from = [UInt8](ascii: " from ")
        static let space = [UInt8](ascii: " ")
        static let ssh2 = [UInt8](ascii: " ssh2")
        static let ssh2Colon = [UInt8](ascii: " ssh2: ")
        static let port = [UInt8](ascii: " port ")
    }
}

/// The failed or hostile steps the brute-force detector counts.
enum SSHFailure: String, Sendable, Equatable {
    /// `Failed password` / `Failed keyboard-interactive/pam`.
    case failedPassword
    /// `Invalid user`: a probe for a user name that does not exist.
    case invalidUser
    /// PAM's `authentication failure` (it precedes sshd's own `Failed password` for the same guess).
    case authenticationFailure
    /// `maximum authentication attempts exceeded`.
    case maximumAttemptsExceeded
    /// `Connection closed by authenticating user … [preauth]`: gave up mid-authentication (key scanning, bots).
    case closedDuringAuthentication
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// True if `range` ends with `suffix`.
    func hasSuffix(_ suffix: [UInt8], in range: Range<Int>) -> Bool {
        range.count >= suffix.count && matches(suffix, at: range.upperBound - suffix.count)
    }

    /// The index of the last occurrence of `needle` entirely inside `range`, or nil.
    func lastIndex(of needle: [UInt8], in range: Range<Int>) -> Int? {
        guard !needle.isEmpty, range.count >= needle.count else { return nil }
        var position = range.upperBound - needle.count
        while position >= range.lowerBound {
            if self[position] == needle[0], matches(needle, at: position) { return position }
            position -= 1
        }
        return nil
    }

    /// The index of the last `byte` inside `range`, or nil.
    func lastIndex(of byte: UInt8, in range: Range<Int>) -> Int? {
        var position = range.upperBound - 1
        while position >= range.lowerBound {
            if self[position] == byte { return position }
            position -= 1
        }
        return nil
    }
}
