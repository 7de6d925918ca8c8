import Foundation
import Testing
import VigilTestSupport

@testable import Shared

@Suite("install-boot checks", .serialized, .system)
struct BootInstallerTests {
    static func temporaryRoot() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("vigil-boot-\(UUID().uuidString)").path
    }

    /// Puts an executable and a config file where `unit` expects them under `root`.
    static func placeProgram(_ unit: BootUnit, under root: String) throws {
        for (path, mode) in [(unit.binary, 0o755), (unit.config, 0o600)] {
            try FileManager.default.createDirectory(atPath: root + (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            #expect(FileManager.default.createFile(atPath: root + path, contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: mode]))
        }
    }

    @Test("a unit for a binary that is not there is refused, naming the path and what to do")
    func missingBinary() throws {
        let root = Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let unit = BootUnit(program: .hub)
        try Self.placeProgram(unit, under: root)
        try FileManager.default.removeItem(atPath: root + unit.binary)
        let error = try #require(throws: ConfigError.self) { try BootInstaller(root: root).install(unit, kind: .systemd) }
        #expect(error.description.contains("binary \(root)/usr/local/bin/bothub does not exist"))
        #expect(error.description.contains("--binary"))
        #expect(!FileManager.default.fileExists(atPath: BootInstaller(root: root).path(of: unit, kind: .systemd)))
    }

    @Test("a binary that is not executable is refused")
    func notExecutable() throws {
        let root = Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let unit = BootUnit(program: .agent)
        try Self.placeProgram(unit, under: root)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: root + unit.binary)
        let error = try #require(throws: ConfigError.self) { try BootInstaller(root: root).install(unit, kind: .cron) }
        #expect(error.description.contains("is not executable"))
    }

    @Test("a missing configuration is refused, naming the path and the example to start from")
    func missingConfig() throws {
        let root = Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let unit = BootUnit(program: .agent)
        try Self.placeProgram(unit, under: root)
        try FileManager.default.removeItem(atPath: root + unit.config)
        let error = try #require(throws: ConfigError.self) { try BootInstaller(root: root).install(unit, kind: .cron) }
        #expect(error.description.contains("config \(root)/etc/vigil/agent.yml does not exist"))
        #expect(error.description.contains("agent.example.yml"))
        #expect(!FileManager.default.fileExists(atPath: BootInstaller(root: root).path(of: unit, kind: .cron)))
    }

    @Test("without systemd running, install-boot says it falls back to cron and installs the logrotate file")
    func fallsBackToCron() throws {
        let root = Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let unit = BootUnit(program: .hub)
        try Self.placeProgram(unit, under: root)
        let options = try InstallBootOptions.parse(["--root", root, "--binary", unit.binary, "--config", unit.config])
        let (_, kind, lines) = try options.install(for: .hub)
        #expect(kind == .cron)
        #expect(lines.first?.hasPrefix("systemd is not running here") == true)
        #expect(lines.contains("wrote \(root)/etc/cron.d/bothub"))
        #expect(lines.contains("wrote \(root)/etc/logrotate.d/vigil"))
        #expect(try String(contentsOfFile: "\(root)/etc/logrotate.d/vigil", encoding: .utf8) == LogRotation.configuration)
    }

    @Test("where systemd runs, install-boot writes a unit without a word about cron, and no logrotate file")
    func systemdDetected() throws {
        let root = Self.temporaryRoot()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: "\(root)/run/systemd/system", withIntermediateDirectories: true)
        let unit = BootUnit(program: .agent)
        try Self.placeProgram(unit, under: root)
        let options = try InstallBootOptions.parse(["--root", root, "--binary", unit.binary, "--config", unit.config, "--no-start"])
        let (_, kind, lines) = try options.install(for: .agent)
        #expect(kind == .systemd)
        #expect(lines.filter { $0.hasPrefix("wrote ") } == ["wrote \(root)/etc/systemd/system/sentry-agent.service"])
        #expect(!lines.contains { $0.contains("cron") })
        #expect(!FileManager.default.fileExists(atPath: "\(root)/etc/logrotate.d/vigil"))
    }

    @Test("config/vigil.logrotate is exactly what install-boot writes")
    func shippedLogRotation() throws {
        #expect(try String(contentsOfFile: BootUnitTests.repositoryFile("config/vigil.logrotate"), encoding: .utf8) == LogRotation.configuration)
    }

    @Test(
        "logrotate accepts the file and rotates a cron log by copy and truncation",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/logrotate"), "needs logrotate (package logrotate)")
    )
    func logrotateAccepts() async throws {
        let directory = Self.temporaryRoot()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The shipped file with its log directory moved into the temporary directory, so the test touches no real log.
        let configuration = LogRotation.configuration.replacingOccurrences(of: "/var/log/vigil/", with: "\(directory)/")
        let config = "\(directory)/vigil.logrotate"
        try configuration.write(toFile: config, atomically: true, encoding: .utf8)
        let log = "\(directory)/bothub.log"
        try "line one\n".write(toFile: log, atomically: true, encoding: .utf8)

        let debug = try await Self.logrotate(["-d", "-s", "\(directory)/state", config])
        #expect(debug.status == 0, "logrotate -d: \(debug.output)")
        #expect(debug.output.contains("\(directory)/bothub.log"))
        #expect(!debug.output.lowercased().contains("error"), "\(debug.output)")

        let forced = try await Self.logrotate(["-f", "-s", "\(directory)/state", config])
        #expect(forced.status == 0, "logrotate -f: \(forced.output)")
        #expect(try String(contentsOfFile: "\(log).1", encoding: .utf8) == "line one\n")
        #expect(try FileManager.default.attributesOfItem(atPath: log)[.size] as? Int == 0)
    }

    private static func logrotate(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let run = try await ProgramRun.run(["/usr/sbin/logrotate"] + arguments, mergingErrors: true)
        return (run.status, run.output)
    }
}
