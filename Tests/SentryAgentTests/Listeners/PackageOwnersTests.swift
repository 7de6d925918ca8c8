import Foundation
import Testing
import VigilTestSupport

@testable import SentryAgent

/// `dpkg -S` from dpkg's file lists, without dpkg.
@Suite("package owners")
struct PackageOwnersTests {
    @Test("a path is owned by the package whose list names it, also across merged /usr; others by none")
    func lookups() throws {
        let directory = try TemporaryDirectory("vigil-dpkg")
        try "/.\n/usr\n/usr/sbin\n/usr/sbin/nginx\n".write(toFile: directory.file("nginx-core.list"), atomically: true, encoding: .utf8)
        try "/.\n/bin\n/bin/nc.openbsd\n".write(toFile: directory.file("netcat-openbsd:amd64.list"), atomically: true, encoding: .utf8)
        try "/usr/sbin/nginx\n".write(toFile: directory.file("nginx-core.md5sums"), atomically: true, encoding: .utf8)
        var owners = PackageOwners(infoDirectory: directory.path)
        #expect(owners.isAvailable)
        let found = owners.packages(owning: ["/usr/sbin/nginx", "/usr/bin/nc.openbsd", "/tmp/socat", "/usr"])
        #expect(found["/usr/sbin/nginx"] == .some("nginx-core"))
        #expect(found["/usr/bin/nc.openbsd"] == .some("netcat-openbsd"))
        #expect(found["/tmp/socat"] == .some(nil))
        #expect(found.count == 4)
    }
}
