import ArgumentParser
import Foundation
import Testing
import VigilTestSupport

@testable import Shared

@Suite("Start at boot")
struct BootUnitTests {
    static func repositoryFile(_ relative: String, filePath: String = #filePath) -> String {
        URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(relative).path
    }

    @Test("the systemd unit restarts on failure, runs the program with its config, and is hardened", arguments: BootUnit.Program.allCases)
    func systemdUnit(program: BootUnit.Program) {
        let unit = BootUnit(program: program).systemdUnit
        #expect(unit.contains("ExecStart=/usr/local/bin/\(program.rawValue) run --config /etc/vigil/"))
        #expect(unit.contains("Restart=on-failure"))
        #expect(unit.contains("NoNewPrivileges=yes"))
        #expect(unit.contains("ProtectSystem=strict"))
        #expect(unit.contains("StateDirectory=vigil-"))
        #expect(unit.contains("WantedBy=multi-user.target"))
    }

    @Test("the cron file starts at boot as root, restarts after a crash and logs to a file", arguments: BootUnit.Program.allCases)
    func cronFile(program: BootUnit.Program) {
        let cron = BootUnit(program: program).cronFile
        #expect(cron.contains("@reboot root mkdir -p /var/log/vigil && while true; do /usr/local/bin/\(program.rawValue) run --config"))
        #expect(cron.contains(">> /var/log/vigil/\(program.rawValue).log 2>&1; sleep 5; done"))
    }

    @Test("the files in config/ are exactly what install-boot writes, so they cannot drift")
    func shippedFilesMatch() throws {
        for program in BootUnit.Program.allCases {
            let unit = BootUnit(program: program)
            #expect(try String(contentsOfFile: Self.repositoryFile("config/\(program.rawValue).service"), encoding: .utf8) == unit.systemdUnit)
            #expect(try String(contentsOfFile: Self.repositoryFile("config/\(program.rawValue).cron"), encoding: .utf8) == unit.cronFile)
        }
        #expect(try String(contentsOfFile: Self.repositoryFile("config/vigil.sysusers"), encoding: .utf8) == BootUnit(program: .hub).sysusersFile)
    }

    @Test("both units: private files, a 0700 state directory, descriptors and memory bounded, secrets from a root-only env file")
    func leastPrivilegeBoth() {
        for (program, env) in [(BootUnit.Program.hub, "hub"), (.agent, "agent")] {
            let lines = Set(BootUnit(program: program).systemdUnit.split(separator: "\n").map(String.init))
            for line in [
                "UMask=0077", "LimitNOFILE=65536", "StateDirectoryMode=0700", "NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
                "EnvironmentFile=-/etc/vigil/\(env).env",
            ] {
                #expect(lines.contains(line), "\(program): \(line)")
            }
            #expect(lines.contains { $0.hasPrefix("MemoryMax=") }, "\(program): MemoryMax")
        }
    }

    @Test("the hub runs as the vigil user with no capabilities, and install-boot writes the sysusers entry that creates it")
    func hubUser() throws {
        let unit = BootUnit(program: .hub)
        let lines = Set(unit.systemdUnit.split(separator: "\n").map(String.init))
        #expect(lines.isSuperset(of: ["User=vigil", "Group=vigil", "CapabilityBoundingSet=", "ProtectHome=yes"]))
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-boot-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try BootInstallerTests.placeProgram(unit, under: root)
        let installer = BootInstaller(root: root)
        try installer.install(unit, kind: .systemd)
        #expect(try String(contentsOfFile: installer.sysusersPath, encoding: .utf8) == unit.sysusersFile)
        #expect(try FileManager.default.attributesOfItem(atPath: installer.sysusersPath)[.posixPermissions] as? Int == 0o644)
        #expect(BootUnit(program: .agent).sysusersFile == nil)
    }

    @Test("the agent keeps only the capabilities it uses; CAP_SYS_PTRACE only with session kills, CAP_SYS_BOOT only with power actions")
    func agentCapabilities() {
        let plain = BootUnit(program: .agent, sessionKills: false).systemdUnit
        #expect(plain.contains("CapabilityBoundingSet=CAP_NET_ADMIN CAP_KILL CAP_DAC_READ_SEARCH\n"))
        #expect(plain.contains("AmbientCapabilities=CAP_NET_ADMIN CAP_KILL CAP_DAC_READ_SEARCH\n"))
        #expect(!plain.contains("CAP_SYS_BOOT") && !plain.contains("CAP_SYS_PTRACE"))
        let defaults = BootUnit(program: .agent).systemdUnit
        #expect(defaults.contains("CapabilityBoundingSet=CAP_NET_ADMIN CAP_KILL CAP_DAC_READ_SEARCH CAP_SYS_PTRACE\n"))
        let power = BootUnit(program: .agent, powerActions: true).systemdUnit
        #expect(power.contains("CapabilityBoundingSet=CAP_NET_ADMIN CAP_KILL CAP_DAC_READ_SEARCH CAP_SYS_PTRACE CAP_SYS_BOOT\n"))
        #expect(power.contains("AmbientCapabilities=CAP_NET_ADMIN CAP_KILL CAP_DAC_READ_SEARCH CAP_SYS_PTRACE CAP_SYS_BOOT\n"))
    }

    @Test(
        "paths with spaces or shell syntax are refused",
        arguments: ["/usr/bin/x; rm -rf /", "relative/bin", "/opt/my agent", "/opt/$(id)", "/opt/`x`"])
    func unsafePaths(path: String) {
        #expect(!BootUnit(program: .agent, binary: path).problems.isEmpty)
        #expect(throws: ConfigError.self) {
            try BootInstaller(root: "/nonexistent-root").install(BootUnit(program: .agent, config: path), kind: .cron)
        }
    }

    @Test("install writes under the root with mode 0644 and uninstall removes it")
    func installAndUninstall() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-boot-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let installer = BootInstaller(root: root)
        let unit = BootUnit(program: .agent)
        try BootInstallerTests.placeProgram(unit, under: root)
        let path = try #require(try installer.install(unit, kind: .systemd).first)
        #expect(path == "\(root)/etc/systemd/system/sentry-agent.service")
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o644)
        try installer.install(unit, kind: .cron)
        #expect(try installer.uninstall(unit).count == 3)
        #expect(try installer.uninstall(unit).isEmpty)
    }

    @Test(
        "systemd-analyze accepts the generated units",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"), "needs systemd-analyze (package systemd)"),
        arguments: BootUnit.Program.allCases
    )
    func systemdVerify(program: BootUnit.Program) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-verify-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("\(program.rawValue).service")
        try BootUnit(program: program, binary: "/bin/true", powerActions: true).systemdUnit.write(to: file, atomically: true, encoding: .utf8)
        let verify = try await ProgramRun.run(["/usr/bin/systemd-analyze", "verify", file.path])
        #expect(verify.status == 0, "\(verify.errors)")
    }
}
