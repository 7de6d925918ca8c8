import Foundation
import Testing
import VigilTestSupport

@testable import Shared

@Suite("ProgramSpawner: argv only, chosen streams, exit decoded", .serialized, .system)
struct ProgramSpawnerTests {
    @Test("piped output is read and the exit status decoded")
    func exitStatus() throws {
        let child = try ProgramSpawner.spawn(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"], standardOutput: .pipe, standardError: .pipe)
        let output = Self.readAll(child.standardOutput)
        let errors = Self.readAll(child.standardError)
        #expect(child.waitForExit() == .exited(3))
        #expect(output == "out\n")
        #expect(errors == "err\n")
    }

    @Test("a program killed by a signal reports the signal, and stop() escalates past an ignored SIGTERM")
    func stopEscalates() throws {
        let child = try ProgramSpawner.spawn(["/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"], standardOutput: .pipe)
        #expect(Self.readLine(child.standardOutput) == "ready")
        #expect(child.stop(grace: .milliseconds(200)) == .signalled(SIGKILL))
        if let descriptor = child.standardOutput { close(descriptor) }
    }

    @Test("the environment, when given, is exactly what the program sees")
    func environment() throws {
        let child = try ProgramSpawner.spawn(["/usr/bin/env"], environment: ["ONLY": "this"], standardOutput: .pipe)
        #expect(Self.readAll(child.standardOutput) == "ONLY=this\n")
        #expect(child.waitForExit() == .exited(0))
    }

    @Test("a missing program is an error naming it and the reason; PATH lookup only when asked")
    func missing() throws {
        #expect(throws: SpawnError.self) { try ProgramSpawner.spawn(["/nonexistent/vigil"]) }
        do {
            _ = try ProgramSpawner.spawn(["true"])
            Issue.record("started a bare name without PATH lookup")
        } catch {
            #expect(error.program == "true")
            #expect(error.reason == "No such file or directory")
        }
        let found = try ProgramSpawner.spawn(["true"], searchPath: true)
        #expect(found.waitForExit() == .exited(0))
    }

    @Test("the parent's ends of the pipes are close-on-exec: another child never inherits them")
    func closeOnExec() throws {
        let first = try ProgramSpawner.spawn(["/bin/cat"], standardInput: .pipe, standardOutput: .pipe)
        let writeEnd = try #require(first.standardInput)
        let second = try ProgramSpawner.spawn(["/bin/ls", "/proc/self/fd"], standardOutput: .pipe)
        let descriptors = Self.readAll(second.standardOutput).split(separator: "\n").compactMap { Int32($0) }
        #expect(second.waitForExit() == .exited(0))
        #expect(!descriptors.contains(writeEnd))
        close(writeEnd)
        #expect(first.waitForExit() == .exited(0))
        if let descriptor = first.standardOutput { close(descriptor) }
    }

    static func readAll(_ descriptor: Int32?) -> String {
        guard let descriptor else { return "" }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func readLine(_ descriptor: Int32?) -> String? {
        guard let descriptor else { return nil }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while read(descriptor, &byte, 1) == 1, byte != UInt8(ascii: "\n") { bytes.append(byte) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
