import FoundationEssentials
import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// The answers to an `identity_change` alert as the executor runs them. First a check against what the identity watch
/// knows, before anything runs: the path is a file the watch records, of a kind the action fits; names are account
/// names; root is never locked. Then the action: the file-writing ones (Revert, Remove this key, Lock user, Remove from
/// group) outside the agent's sandbox when the agent runs as a systemd service, whose unit makes `/etc` read-only to
/// it — a transient unit runs `sentry-agent identity-apply`, which checks again and applies, like the upgrade action's
/// `systemd-run`. Elsewhere (cron mode, tests) and for Accept and Kill writer, in this process. The responder
/// re-checks each precondition against the file or process as it is at that moment.
struct IdentityActionRunner: Sendable {
    /// Where the file-writing actions run.
    enum Launch: Sendable, Equatable {
        /// A transient unit when the agent runs as a systemd service (systemd is PID 1 and set `INVOCATION_ID`), else
        /// in this process.
        case automatic
        case transientUnit
        case inProcess
    }

    let stateDirectory: String
    /// The identity watch's `root` (`/`; a throw-away tree in tests).
    let root: String
    var responder: IdentityResponder
    var launch: Launch = .automatic
    /// Checks, then reports what it would run.
    var dryRun = false
    var systemdRun = "/usr/bin/systemd-run"
    /// This program, run again as `identity-apply` inside the transient unit.
    var executable = readLink("/proc/self/exe") ?? "/usr/local/bin/sentry-agent"
    var runner: any CommandRunner = ProcessCommandRunner()

    init(stateDirectory: String, root: String, runner: any CommandRunner = ProcessCommandRunner()) {
        self.stateDirectory = stateDirectory
        self.root = root
        self.runner = runner
        responder = IdentityResponder(store: IdentityStore(stateDirectory: stateDirectory), root: root, runner: runner)
    }

    /// Runs `action` for the command `commandID` (which names its transient unit).
    func run(_ action: ResponseAction, commandID: UUID) async -> ActionReport {
        if let refusal = refusal(action) { return refusal }
        if dryRun { return .done("dry run: would run \(action.name) (nothing changed)") }
        guard Self.writesFiles(action), usesTransientUnit else { return await applyChecked(action) }
        return await applyInUnit(action, commandID: commandID)
    }

    /// Checks `action`, then applies it in this process: the executor's direct path and `identity-apply`'s.
    func apply(_ action: ResponseAction) async -> ActionReport {
        if let refusal = refusal(action) { return refusal }
        return await applyChecked(action)
    }

    private func applyChecked(_ action: ResponseAction) async -> ActionReport {
        switch action {
        case .acceptChange(let path, let sha256): return responder.accept(path: path, sha256: sha256)
        case .revertFile(let path, let sha256, let before): return responder.revert(path: path, expectedSHA256: sha256, previousSHA256: before)
        case .removeKey(let path, let fingerprint): return responder.removeKey(path: path, fingerprint: fingerprint)
        case .lockUser(let user): return await responder.lockUser(user)
        case .removeFromGroup(let user, let group): return await responder.removeFromGroup(user: user, group: group)
        case .killWriter(let pid, let startTime): return await responder.killWriter(pid: pid, startTime: startTime)
        default: return .refused("\(action.name) is not an identity action")
        }
    }

    /// Why `action` is refused before anything runs, or nil.
    func refusal(_ action: ResponseAction) -> ActionReport? {
        switch action {
        case .acceptChange(let path, let sha256):
            guard let sha256 else {
                // A removed file is no longer recorded; its path must still be one the watch could have recorded.
                return Self.isPlainAbsolutePath(path) ? nil : .refused("not a watched file: \(path)")
            }
            guard Self.isSHA256(sha256) else { return .refused("not a SHA-256: \(sha256)") }
            return watchedFile(path) { _ in true }
        case .revertFile(let path, let sha256, let before):
            guard Self.isSHA256(sha256), Self.isSHA256(before) else { return .refused("not a SHA-256") }
            return watchedFile(path, \.keepsCopy)
        case .removeKey(let path, let fingerprint):
            guard AuthorizedKey.isFingerprint(fingerprint) else { return .refused("not a key fingerprint: \(fingerprint)") }
            return watchedFile(path) { $0 == .authorizedKeys }
        case .lockUser(let user):
            guard IdentityResponder.isAccountName(user) else { return .refused("not an account name: \(user)") }
            return user == "root" ? .refused("will not lock root") : nil
        case .removeFromGroup(let user, let group):
            guard IdentityResponder.isAccountName(user), IdentityResponder.isAccountName(group) else {
                return .refused("not an account and group name: \(user) \(group)")
            }
            return nil
        case .killWriter(let pid, _):
            return pid > 1 ? nil : .refused("will not kill pid \(pid)")
        default:
            return .refused("\(action.name) is not an identity action")
        }
    }

    /// Nil when `path` is a file the identity watch records with a category `fits` accepts.
    private func watchedFile(_ path: String, _ fits: (IdentityCategory) -> Bool) -> ActionReport? {
        let records: [String: IdentityStore.Record]?
        do {
            records = try responder.store.load()
        } catch {
            return .failed("cannot read the identity baseline: \(error)")
        }
        guard let record = records?[path] else { return .refused("not a watched file: \(path)") }
        return fits(record.category) ? nil : .refused("\(path) is a \(record.category.rawValue) file: the action does not apply to it")
    }

    /// The file-writing actions: those that need to run outside the agent's sandbox.
    static func writesFiles(_ action: ResponseAction) -> Bool {
        switch action {
        case .revertFile, .removeKey, .lockUser, .removeFromGroup: true
        default: false
        }
    }

    private var usesTransientUnit: Bool {
        switch launch {
        case .automatic: getenv("INVOCATION_ID") != nil && PackageUpgrader.systemdIsInit
        case .transientUnit: true
        case .inProcess: false
        }
    }

    /// The argument vector of `identity-apply` for `action`: the action as wire JSON in one argument, never a shell.
    func applyArguments(_ action: ResponseAction) throws -> [String] {
        [executable, "identity-apply", "--state-dir", stateDirectory, "--root", root, String(decoding: try WireCoding.encode(action), as: UTF8.self)]
    }

    /// `systemd-run --wait --pipe`: the unit's standard output (`identity-apply`'s answer) comes back through it.
    private func applyInUnit(_ action: ResponseAction, commandID: UUID) async -> ActionReport {
        let argv: [String]
        do {
            argv = try applyArguments(action)
        } catch {
            return .failed("cannot encode the action: \(error)")
        }
        let unit = "--unit=vigil-identity-\(commandID.uuidString.lowercased())"
        let output = await runner.run(
            ProgramInvocation(systemdRun, [unit, "--collect", "--quiet", "--wait", "--pipe", "--"] + argv, timeout: .seconds(60)))
        return IdentityApplyAnswer.report(from: output)
    }

    /// Absolute, without `.` or `..` components or a NUL: a path that names one file, as the watch records them.
    static func isPlainAbsolutePath(_ path: String) -> Bool {
        path.hasPrefix("/") && !path.utf8.contains(0) && !path.split(separator: "/").contains { $0 == "." || $0 == ".." }
    }

    static func isSHA256(_ text: String) -> Bool {
        text.utf8.count == 64
            && text.utf8.allSatisfy { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }
    }
}

/// What `identity-apply` prints on standard output: its report as one wire JSON object.
struct IdentityApplyAnswer: Codable, Sendable, Equatable {
    var outcome: ResponseResult.Outcome
    var detail: String?

    init(_ report: ActionReport) {
        outcome = report.outcome
        detail = report.detail
    }

    var report: ActionReport { ActionReport(outcome: outcome, detail: detail) }

    /// The report `identity-apply` printed, or why the run failed.
    static func report(from output: ProgramOutput) -> ActionReport {
        guard output.succeeded else { return .failed("identity-apply: \(output.failureReason)") }
        let last = output.standardOutput.split(separator: UInt8(ascii: "\n")).last.map { Array($0) } ?? []
        do {
            return try WireCoding.decode(IdentityApplyAnswer.self, from: last).report
        } catch {
            return .failed("identity-apply answered no report: \(String(decoding: last.prefix(200), as: UTF8.self))")
        }
    }
}
