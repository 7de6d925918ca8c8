import Shared
import Synchronization

/// Who changed an account, from the system log: the lines the account tools write (`useradd`, `usermod`, `gpasswd`,
/// `passwd`, `chage`…) and the `sudo: … COMMAND=` line that ran them, kept for a few minutes and looked up by the
/// account an identity change names ("by alice via sudo /usr/sbin/usermod -aG sudo bob"). The SSH log consumer feeds
/// it the auth log's lines on its thread; the identity alerts read it on theirs.
final class AccountLogCorrelator: Sendable {
    /// One remembered line.
    struct Entry: Sendable, Equatable {
        var time: Int64
        /// `sudo`, or the account tool's name.
        var program: String
        /// sudo's invoking user; nil for a tool's own line.
        var actor: String?
        /// sudo's `COMMAND=`, or the tool's message.
        var text: String
        /// The words of `text` that could be account names (`'bob'` → `bob`, `name=bob,` → `bob`).
        var words: Set<String>
    }

    /// Programs whose lines name the account they changed.
    static let tools: Set<String> = [
        "useradd", "usermod", "userdel", "groupadd", "groupmod", "groupdel", "gpasswd", "passwd", "chage", "chpasswd", "chsh", "chfn",
        "adduser", "deluser", "addgroup", "delgroup", "newusers",
    ]

    /// How long a line is remembered, in seconds.
    let window: Int64
    /// The most lines remembered.
    let limit: Int
    private let entries = Mutex<[Entry]>([])

    init(window: Int64 = 300, limit: Int = 256) {
        self.window = window
        self.limit = limit
    }

    /// Remembers a syslog line of sudo or an account tool (`program` and `message` as its header split them).
    func record(program: String, message: String, time: Int64) {
        let entry: Entry
        if program == "sudo" {
            // `    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/sbin/usermod -aG sudo bob`
            guard let separator = message.firstRange(of: " : "), let command = message.firstRange(of: "COMMAND=") else { return }
            let actor = message[..<separator.lowerBound].trimmingWhitespace()
            let text = String(message[command.upperBound...]).trimmingWhitespace()
            guard let program = text.split(separator: " ").first.map({ FileSystemPath.lastComponent(of: String($0)) }), Self.tools.contains(program)
            else { return }
            entry = Entry(time: time, program: "sudo", actor: actor, text: text, words: Self.words(text))
        } else if Self.tools.contains(program) {
            entry = Entry(time: time, program: program, actor: nil, text: message.trimmingWhitespace(), words: Self.words(message))
        } else {
            return
        }
        entries.withLock { entries in
            entries.removeAll { $0.time < time - window }
            if entries.count >= limit { entries.removeFirst(entries.count - limit + 1) }
            entries.append(entry)
        }
    }

    /// Who changed `account` around `time`: the sudo command that named it (and the tool's own line after it), or the
    /// tool's line alone; nil when the log has neither within the window.
    func describe(account: String, around time: Int64) -> String? {
        let recent = entries.withLock { entries in entries.filter { $0.time >= time - window && $0.time <= time + 5 && $0.words.contains(account) } }
        let sudo = recent.last { $0.program == "sudo" }
        let tool = recent.last { $0.program != "sudo" }
        if let sudo, let actor = sudo.actor { return "by \(actor) via sudo \(sudo.text)" }
        if let tool { return "\(tool.program): \(tool.text)" }
        return nil
    }

    /// The words of a log message that could be account names: split at blanks, quotes, `=`, `,`, `:` and `;`.
    static func words(_ text: String) -> Set<String> {
        Set(text.split { " \t'\"=,:;()[]".contains($0) }.map(String.init))
    }
}
