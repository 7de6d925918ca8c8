import Foundation
import Testing

/// A Debian system booted for real under `systemd-nspawn`, with systemd as its PID 1, so a test can install a unit the
/// way the README says and watch systemd run it under its sandbox.
///
/// The root image (`scripts/boot-image`, which `.ci/run` calls) is never changed: each boot runs on an overlay whose
/// upper layer lives in a temporary directory and is thrown away by `shutDown()`. The container gets its own network
/// namespace with loopback only (`--private-network`), so nothing it does reaches any other address.
public final class BootedDebian: Sendable {
    /// Where `scripts/boot-image` puts the image unless `VIGIL_BOOT_ROOT` says otherwise.
    public static let imagePath = ProcessInfo.processInfo.environment["VIGIL_BOOT_ROOT"] ?? "/var/tmp/vigil-boot/root"

    /// Why a boot cannot happen on this machine, or nil when it can.
    public static var unavailableReason: String? {
        if getuid() != 0 { return "needs root (overlay mount and systemd-nspawn)" }
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-nspawn") { return "needs systemd-nspawn (apt install systemd-container)" }
        if !FileManager.default.fileExists(atPath: imagePath + "/usr/lib/systemd/systemd") {
            return "needs a Debian root image at \(imagePath) (scripts/boot-image \(imagePath))"
        }
        return nil
    }

    /// The container's root as the host sees it (the overlay), for writing files before or after boot.
    public let root: String
    private let scratch: String
    private let nspawn: Process
    /// The container's PID 1 (systemd) in the host's pid namespace: `run` enters its namespaces.
    public let initPID: pid_t

    /// Boots the image with `readOnlyBinds` (host path → container path) and waits until systemd reports the system
    /// running (or degraded, which `isSystemRunning` returns as well). `prepare` writes into the root before boot.
    public init(readOnlyBinds: [(String, String)] = [], prepare: (String) throws -> Void = { _ in }) async throws {
        if let reason = Self.unavailableReason { throw TestFailure(reason) }
        scratch = try TemporaryDirectory.forTestRun("vigil-boot")
        root = scratch + "/merged"
        for directory in ["upper", "work", "merged"] {
            try FileManager.default.createDirectory(atPath: scratch + "/" + directory, withIntermediateDirectories: true)
        }
        try await Self.check(
            [
                "/usr/bin/mount", "-t", "overlay", "overlay", "-o", "lowerdir=\(Self.imagePath),upperdir=\(scratch)/upper,workdir=\(scratch)/work",
                root,
            ])
        do {
            try prepare(root)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-nspawn")
            process.arguments =
                ["--register=no", "--keep-unit", "--quiet", "--private-network", "--console=pipe", "-D", root]
                + readOnlyBinds.map { "--bind-ro=\($0.0):\($0.1)" } + ["--boot"]
            // This machine's cgroup layout: the legacy hierarchy is what nspawn can set up here.
            process.environment = ProcessInfo.processInfo.environment.merging(["SYSTEMD_NSPAWN_UNIFIED_HIERARCHY": "0"]) { $1 }
            _ = FileManager.default.createFile(atPath: scratch + "/console.log", contents: nil)
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle(forWritingAtPath: scratch + "/console.log")
            process.standardError = process.standardOutput
            try process.run()
            nspawn = process
            initPID = try await Self.containerInit(of: process.processIdentifier, log: scratch + "/console.log")
        } catch {
            _ = try? await Self.check(["/usr/bin/umount", "-l", root])
            throw error
        }
        // Until systemd's bus is up, `is-system-running` answers "offline" at once instead of waiting.
        var state = ""
        do {
            try await waitUntil("the container booted", timeout: .seconds(90), poll: .milliseconds(200)) {
                state = try await run(["systemctl", "is-system-running", "--wait"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
                return state == "running" || state == "degraded"
            }
        } catch {
            await shutDown()
            throw TestFailure("the container did not boot: systemctl is-system-running said \(state)")
        }
    }

    /// Runs `argv` inside the container (all its namespaces, as root), with a bounded wait.
    @discardableResult
    public func run(_ argv: [String], timeout: Duration = .seconds(60)) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
        process.arguments = ["--target", String(initPID), "--all", "--"] + argv
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let reader = Task { await offPool { pipe.fileHandleForReading.readDataToEndOfFile() } }
        let finished = (try? await waitUntil("\(argv[0]) in the container", timeout: timeout) { !process.isRunning }) != nil
        if !finished { process.terminate() }
        let output = String(decoding: await reader.value, as: UTF8.self)
        guard finished else { throw TestFailure("\(argv.joined(separator: " ")) in the container timed out: \(output)") }
        return (process.terminationStatus, output)
    }

    /// Powers the container off, waits for nspawn to end (killing it after 30 s) and removes the overlay.
    public func shutDown() async {
        if nspawn.isRunning {
            _ = try? await run(["systemctl", "poweroff", "--no-block"], timeout: .seconds(10))
            if (try? await waitUntil("poweroff", timeout: .seconds(30)) { !self.nspawn.isRunning }) == nil {
                kill(nspawn.processIdentifier, SIGKILL)
                _ = try? await waitUntil("nspawn killed", timeout: .seconds(10)) { !self.nspawn.isRunning }
            }
        }
        _ = try? await Self.check(["/usr/bin/umount", root])
        try? FileManager.default.removeItem(atPath: scratch)
    }

    /// The console output so far (for failure messages).
    public var console: String {
        (try? String(contentsOfFile: scratch + "/console.log", encoding: .utf8)) ?? ""
    }

    /// nspawn's child whose command is systemd: the container's PID 1 seen from the host.
    private static func containerInit(of nspawn: pid_t, log: String) async throws -> pid_t {
        do {
            return try await waitFor("systemd in the container", timeout: .seconds(60)) {
                descendants(of: nspawn).first { command(of: $0) == "systemd" }
            }
        } catch {
            let console = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw TestFailure("systemd did not start in the container: \(console.suffix(2_000))")
        }
    }

    private static func descendants(of parent: pid_t) -> [pid_t] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
        var family: Set<pid_t> = [parent]
        var added = true
        while added {
            added = false
            for pid in pids where !family.contains(pid) {
                if let ppid = parentPID(of: pid), family.contains(ppid) {
                    family.insert(pid)
                    added = true
                }
            }
        }
        return family.subtracting([parent]).sorted()
    }

    private static func parentPID(of pid: pid_t) -> pid_t? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? pid_t(fields[1]) : nil
    }

    private static func command(of pid: pid_t) -> String? {
        (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func check(_ argv: [String]) async throws {
        let run = try await ProgramRun.run(argv, mergingErrors: true)
        guard run.status == 0 else { throw TestFailure("\(argv.joined(separator: " ")): \(run.output)") }
    }
}
