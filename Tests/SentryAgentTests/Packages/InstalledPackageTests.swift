import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

@Suite("Installed packages from dpkg's status database", .serialized, .system)
struct InstalledPackageTests {
    static let fixture = """
        Package: openssl
        Status: install ok installed
        Priority: optional
        Architecture: amd64
        Version: 3.0.15-1~deb12u1
        Description: Secure Sockets Layer toolkit
         a continuation line: Version: 9.9
         .

        Package: libc6
        Status: hold ok installed
        Architecture: amd64
        Source: glibc
        Version: 2.36-9+deb12u9

        Package: bash
        Status: install ok installed
        Architecture: amd64
        Source: bash (5.2.15-2)
        Version: 5.2.15-2+b7

        Package: removed-but-configured
        Status: deinstall ok config-files
        Architecture: amd64
        Version: 1.0-1

        Package: half
        Status: install reinstreq half-installed
        Architecture: amd64
        Version: 1.0-1

        Package: tzdata
        Status: install ok installed
        Architecture: all
        Version: 2024a-0+deb12u1

        Package: broken
        Status: install ok installed
        Architecture: amd64
        Version: 1.0-
        """

    @Test("installed and held packages are read; removed and half-installed ones are not; a refused version is named")
    func parsesStatus() throws {
        let (packages, refused) = DpkgStatusReader.parse(Array(Self.fixture.utf8))
        #expect(packages.map(\.name) == ["openssl", "libc6", "bash", "tzdata"])
        #expect(refused == ["broken: revision number is empty"])
        let openssl = try #require(packages.first)
        #expect(openssl.version.description == "3.0.15-1~deb12u1")
        #expect(openssl.source == "openssl" && openssl.sourceVersion.description == "3.0.15-1~deb12u1" && !openssl.held)
        #expect(packages[1].held && packages[1].source == "glibc" && packages[1].sourceVersion.description == "2.36-9+deb12u9")
    }

    @Test("a binNMU names its source's version, which differs from the binary's")
    func binNMU() throws {
        let bash = try #require(DpkgStatusReader.parse(Array(Self.fixture.utf8)).packages.first { $0.name == "bash" })
        #expect(bash.version.description == "5.2.15-2+b7")
        #expect(bash.source == "bash")
        #expect(bash.sourceVersion.description == "5.2.15-2")
    }

    @Test("a missing file is an error naming the path")
    func missingFile() {
        #expect(throws: DpkgStatusReader.ReadError.self) { try DpkgStatusReader(path: "/nonexistent/vigil/status").read() }
    }

    @Test(
        "this machine's status file reads as dpkg-query reports it (names, versions, sources, holds)",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/dpkg-query"), "needs dpkg-query"))
    func agreesWithDpkgQuery() async throws {
        let output = await ProcessCommandRunner().run(
            ProgramInvocation(
                "/usr/bin/dpkg-query",
                [
                    "-W", "-f",
                    "${db:Status-Want} ${db:Status-Eflag} ${db:Status-Status}\t${Package}\t${Architecture}\t${Version}\t${source:Package}\t${source:Version}\n",
                ]))
        let expected = String(decoding: output.standardOutput, as: UTF8.self).split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields[0] == "install ok installed" || fields[0] == "hold ok installed" else { return nil }
            return ([fields[0].hasPrefix("hold") ? "held" : "-"] + fields.dropFirst().map(String.init)).joined(separator: " ")
        }.sorted()
        let ours = try DpkgStatusReader().read().packages.map {
            "\($0.held ? "held" : "-") \($0.name) \($0.architecture) \($0.version) \($0.source) \($0.sourceVersion)"
        }.sorted()
        #expect(ours.count > 100)
        #expect(ours == expected)
        #expect(ours.contains { $0.split(separator: " ")[3] != $0.split(separator: " ")[5] }, "binNMUs on a stock machine")
    }
}
