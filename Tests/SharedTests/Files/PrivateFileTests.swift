import Foundation
import Shared
import Testing
import VigilTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Keys and state are never readable by others, not even for the moment between creating a file and changing its mode.
@Suite("Private files", .serialized, .system)
struct PrivateFileTests {
    static func directory() throws -> String {
        try TemporaryDirectory.forTestRun("vigil-private")
    }

    @Test("a file is created 0600 by open itself, even under a permissive umask (no later chmod)")
    func createdPrivate() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Given the loosest umask, the mode can only come from the open call itself.
        let saved = umask(0)
        let descriptor = Result { try PrivateFile.createExclusive("\(directory)/agents.yml.tmp") }
        umask(saved)
        let fd = try descriptor.get()
        defer { close(fd) }
        // Then the freshly created, still empty file is already 0600: there is no moment with a looser mode.
        var status = stat()
        #expect(fstat(fd, &status) == 0)
        #expect(status.st_mode & 0o7777 == 0o600)
        #expect(status.st_size == 0)
    }

    @Test("a leftover temporary file with a loose mode is replaced, never reused")
    func leftoverNotReused() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/agents.yml"
        #expect(FileManager.default.createFile(atPath: path + ".tmp", contents: Data("old".utf8), attributes: [.posixPermissions: 0o644]))
        try PrivateFile.replace(path, with: Array("key: secret\n".utf8))
        #expect(PrivateFile.mode(of: path) == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "key: secret\n")
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
    }

    @Test("a state directory is created 0700, and an existing 0755 one is tightened")
    func directoryPrivate() throws {
        let parent = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: parent) }
        try PrivateFile.makeDirectory("\(parent)/new/state")
        #expect(PrivateFile.mode(of: "\(parent)/new/state") == 0o700)
        try FileManager.default.createDirectory(atPath: "\(parent)/old", withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        try PrivateFile.makeDirectory("\(parent)/old")
        #expect(PrivateFile.mode(of: "\(parent)/old") == 0o700)
    }
}
