import Synchronization

/// A runner that runs nothing: it records each invocation and answers with a scripted output (by default a clean
/// exit). `--dry-run` uses it so every responder shows what it would run; tests use it as a fake.
final class RecordingCommandRunner: CommandRunner {
    private let recorded = Mutex<[ProgramInvocation]>([])
    private let reply: @Sendable (ProgramInvocation) -> ProgramOutput

    init(reply: @escaping @Sendable (ProgramInvocation) -> ProgramOutput = { _ in .success() }) {
        self.reply = reply
    }

    func run(_ invocation: ProgramInvocation) async -> ProgramOutput {
        recorded.withLock { $0.append(invocation) }
        return reply(invocation)
    }

    /// Every invocation so far, in order.
    var invocations: [ProgramInvocation] { recorded.withLock { $0 } }

    /// Forgets what was recorded (the dry-run detail of one command covers only that command).
    func drain() -> [ProgramInvocation] {
        recorded.withLock { recorded in
            defer { recorded = [] }
            return recorded
        }
    }
}
