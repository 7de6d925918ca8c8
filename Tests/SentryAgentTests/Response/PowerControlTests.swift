import Foundation
import Testing
import VigilTestSupport

@testable import SentryAgent

/// Power control is only ever tested with dry runs and harmless programs; these tests resolve argument vectors but
/// never run the defaults.
@Suite("Reboot and shutdown", .serialized, .system)
struct PowerControlTests {
    @Test("defaults are systemctl reboot/poweroff, falling back to shutdown -r/-h now without systemctl")
    func defaults() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for name in ["systemctl", "shutdown"] {
            _ = FileManager.default.createFile(atPath: "\(directory.path)/\(name)", contents: Data(), attributes: [.posixPermissions: 0o755])
        }
        let both = ProgramLocator(directories: [directory.path])
        #expect(PowerControl.resolve(.reboot, configured: nil, locator: both) == ["\(directory.path)/systemctl", "reboot"])
        #expect(PowerControl.resolve(.shutdown, configured: nil, locator: both) == ["\(directory.path)/systemctl", "poweroff"])
        let noSystemd = ProgramLocator(directories: [directory.path], hidden: ["systemctl"])
        #expect(PowerControl.resolve(.reboot, configured: nil, locator: noSystemd) == ["\(directory.path)/shutdown", "-r", "now"])
        #expect(PowerControl.resolve(.shutdown, configured: nil, locator: noSystemd) == ["\(directory.path)/shutdown", "-h", "now"])
        #expect(
            PowerControl.resolve(.reboot, configured: nil, locator: ProgramLocator(directories: [directory.path], hidden: ["systemctl", "shutdown"]))
                == nil)
    }

    @Test("a configured argv is resolved and kept word for word")
    func configured() {
        #expect(PowerControl.resolve(.reboot, configured: ["true", "--now; reboot"]) == ["/usr/bin/true", "--now; reboot"])
        #expect(PowerControl.resolve(.reboot, configured: ["/nonexistent/reboot"]) == nil)
    }

    @Test("a harmless argv really runs after the delay, with its exit status logged, not reported")
    func runsLater() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let marker = directory.path + "/ran"
        let power = PowerControl(
            rebootArgv: ["/usr/bin/touch", marker], shutdownArgv: nil, runner: ProcessCommandRunner(), delay: .milliseconds(100))
        let (report, work) = power.schedule(.reboot)
        #expect(report == .done("reboot in 100ms: /usr/bin/touch \(marker)"))
        #expect(!FileManager.default.fileExists(atPath: marker))
        await work?()
        #expect(FileManager.default.fileExists(atPath: marker))
    }
}
