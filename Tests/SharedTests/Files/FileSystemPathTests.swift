import Foundation
import Testing

@testable import Shared

@Suite("FileSystemPath: dirname and basename without NSString")
struct FileSystemPathTests {
    @Test("the directory part is what dirname(1) prints")
    func directory() {
        #expect(FileSystemPath.directory(of: "/var/lib/vigil/outbox") == "/var/lib/vigil")
        #expect(FileSystemPath.directory(of: "/var/lib/vigil/") == "/var/lib")
        #expect(FileSystemPath.directory(of: "/etc") == "/")
        #expect(FileSystemPath.directory(of: "/") == "/")
        #expect(FileSystemPath.directory(of: "state") == ".")
        #expect(FileSystemPath.directory(of: "a//b") == "a")
    }

    @Test("the last component ignores trailing slashes")
    func lastComponent() {
        #expect(FileSystemPath.lastComponent(of: "/usr/sbin/nft") == "nft")
        #expect(FileSystemPath.lastComponent(of: "/usr/sbin/") == "sbin")
        #expect(FileSystemPath.lastComponent(of: "nft") == "nft")
        #expect(FileSystemPath.lastComponent(of: "/") == "/")
    }

    @Test("kinds follow symbolic links; a missing path has none")
    func kinds() {
        #expect(FileSystemPath.kind(of: "/etc/hostname") == .file)
        #expect(FileSystemPath.kind(of: "/tmp") == .directory)
        #expect(FileSystemPath.kind(of: "/dev/null") == .other)
        #expect(FileSystemPath.kind(of: "/nonexistent-vigil-path") == nil)
    }

    @Test("white space is trimmed at both ends only")
    func trimming() {
        #expect(" \t 12 34\n".trimmingWhitespace() == "12 34")
        #expect("\n \n".trimmingWhitespace() == "")
        #expect("\"quoted\"".trimming(while: { $0 == "\"" }) == "quoted")
    }

    @Test("a file-system error reads as the system's reason, not as a CocoaError dump")
    func errorText() {
        do {
            _ = try String(contentsOfFile: "/nonexistent-vigil-path", encoding: .utf8)
            Issue.record("read a missing file")
        } catch {
            #expect(FileErrorText.reason(error) == "No such file or directory")
        }
    }
}
