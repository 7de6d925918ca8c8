/// What one sshd message says, for the SSH detectors. Ranges index into the line's bytes.
enum SSHLogMessage: Equatable {
    /// `Accepted <method> for <user> from <ip> port <port> ssh2`.
    case accepted(method: Range<Int>, user: Range<Int>, ip: IPKey, port: Int)
    /// A failed or hostile authentication step from `ip`.
    case failure(SSHFailure, user: Range<Int>?, ip: IPKey)

    /// Parses the message in `bytes[range]` (after the syslog header), or nil if it is none of the above.
    ///
    /// Attacker-chosen user names may contain spaces and even ` from 1.2.3.4 port 22`, so the address is taken from
    /// the *last* ` from ` before the fixed tail that sshd itself writes, never from the first.
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
            guard let (user, ip) = userFromAddress(bytes, start + Literal.invalidUser.count, end, tail: .optionalPort) else { return nil }
            return .failure(.invalidUser, user: user, ip: ip)
        case UInt8(ascii: "p"):
            guard bytes.matches(Literal.pamUnix, at: start), let found = bytes.index(of: Literal.authenticationFailure, from: start),
                found < end
            else { return nil }
            return parsePAMKeyValues(bytes, found, end)
        case UInt8(ascii: "P"):
            // `PAM: Authentication failure for <user> from <ip-or-host>` (sshd's own PAM conversation, e.g. in -E logs).
            guard bytes.matches(Literal.pamColon, at: start) else { return nil }
            guard let (user, ip) = userFromAddress(bytes, start + Literal.pamColon.count, end, tail: .none) else { return nil }
            return .failure(.authenticationFailure, user: user, ip: ip)
        case UInt8(ascii: "e"), UInt8(ascii: "m"):
            if bytes.matches(Literal.errorPrefix, at: start) { start += Literal.errorPrefix.count }
            guard bytes.matches(Literal.maximumAttempts, at: start) else { return nil }
            var userStart = start + Literal.maximumAttempts.count
            if bytes.matches(Literal.invalidUserInline, at: userStart) { userStart += Literal.invalidUserInline.count }
            guard let (user, ip) = userFromAddress(bytes, userStart, end, tail: .port) else { return nil }
            return .failure(.maximumAttemptsExceeded, user: user, ip: ip)
        case UInt8(ascii: "C"):
            guard bytes.matches(Literal.closedAuthenticating, at: start), bytes.matches(Literal.preauth, at: end - Literal.preauth.count) else {
                return nil
            }
            // `Connection closed by authenticating user <user> <ip> port <port> [preauth]`: no "from" here.
            let tailEnd = end - Literal.preauth.count
            guard let portAt = bytes.lastIndex(of: Literal.port, in: start..<tailEnd),
                let ipStart = bytes.lastIndex(of: UInt8(ascii: " "), in: start..<portAt),
                let ip = IPKey(bytes, ipStart + 1..<portAt)
            else { return nil }
            let userStart = start + Literal.closedAuthenticating.count
            return .failure(.closedDuringAuthentication, user: userStart < ipStart ? userStart..<ipStart : nil, ip: ip)
        default:
            return nil
        }
    }

    private static func parseAccepted(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> SSHLogMessage? {
        guard let methodEnd = bytes.index(of: UInt8(ascii: " "), from: start), methodEnd < end,
            bytes.matches(Literal.forWord, at: methodEnd)
        else { return nil }
        let userStart = methodEnd + Literal.forWord.count
        guard let portAt = bytes.lastIndex(of: Literal.port, in: userStart..<end),
            let fromAt = bytes.lastIndex(of: Literal.from, in: userStart..<portAt),
            let ip = IPKey(bytes, fromAt + Literal.from.count..<portAt)
        else { return nil }
        let portStart = portAt + Literal.port.count
        guard let port = bytes.decimal(portStart..<bytes.endOfDigits(from: portStart)), port <= 65_535, fromAt > userStart else { return nil }
        return .accepted(method: start..<methodEnd, user: userStart..<fromAt, ip: ip, port: Int(port))
    }

    /// `Failed <method> for [invalid user ]<user> from <ip> port <port> ssh2`: only password guesses count
    /// (a `Failed publickey` is a client offering keys, which a legitimate user with several keys does).
    private static func parseFailed(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> SSHLogMessage? {
        let isPassword = bytes.matches(Literal.passwordFor, at: start)
        let isKeyboard = bytes.matches(Literal.keyboardInteractiveFor, at: start)
        guard isPassword || isKeyboard else { return nil }
        var userStart = start + (isPassword ? Literal.passwordFor.count : Literal.keyboardInteractiveFor.count)
        if bytes.matches(Literal.invalidUserInline, at: userStart) { userStart += Literal.invalidUserInline.count }
        guard let (user, ip) = userFromAddress(bytes, userStart, end, tail: .port) else { return nil }
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

    private enum Tail {
        /// ` from <ip> port <n>` and anything sshd appends.
        case port
        /// ` from <ip>` or ` from <ip> port <n>`.
        case optionalPort
        /// ` from <ip>` at the end.
        case none
    }

    /// Splits `<user> from <ip>[ port <n>…]` at the last ` from ` before the tail sshd writes.
    private static func userFromAddress(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, tail: Tail) -> (Range<Int>?, IPKey)? {
        var ipEnd = end
        if tail != .none, let portAt = bytes.lastIndex(of: Literal.port, in: start..<end) {
            ipEnd = portAt
        } else if tail == .port {
            return nil
        }
        guard let fromAt = bytes.lastIndex(of: Literal.from, in: start..<ipEnd) else { return nil }
        let ipStart = fromAt + Literal.from.count
        guard let ip = IPKey(bytes, ipStart..<ipEnd) else { return nil }
        return (fromAt > start ? start..<fromAt : nil, ip)
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
