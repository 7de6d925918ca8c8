import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// The detector's rules: identical rewrites are silent, severity follows the facts, package runs become one digest.
@Suite("identity: detector rules")
struct IdentityDetectorTests {
    static func snapshot(_ text: String, mode: UInt32 = 0o100644, inode: UInt64 = 1) -> FileSnapshot {
        let bytes = Array(text.utf8)
        return FileSnapshot(
            stamp: FileStamp(inode: inode, size: Int64(bytes.count), modified: 1, changed: 1, mode: mode, owner: 0, group: 0),
            sha256: FileSnapshot.hex(bytes), content: bytes)
    }

    static func observation(
        _ path: String, _ category: IdentityCategory, before: String?, after: String?, writer: WriterReader.Writer? = nil, privileged: Bool = false
    ) -> IdentityDetector.Observation {
        IdentityDetector.Observation(
            path: path, category: category, before: before.map { snapshot($0) }, beforeContent: before.map { Array($0.utf8) },
            after: after.map { snapshot($0, inode: 2) }, writer: writer, seenBy: "realtime", privileged: privileged)
    }

    static func writer(_ name: String, packageRun: Bool = false) -> WriterReader.Writer {
        WriterReader.Writer(
            evidence: WriterEvidence(
                pid: 42, pidStartTime: 7, exe: "/usr/bin/\(name)", commandLine: name, loginUID: 1000, loginUser: "alice", parents: ["bash(41)"]),
            isPackageRun: packageRun)
    }

    @Test("the same content written again is no alert, even with a new inode and times")
    func identicalRewrite() {
        var detector = IdentityDetector()
        #expect(detector.observe(Self.observation("/etc/hosts", .hosts, before: "a\n", after: "a\n"), time: 1) == nil)
    }

    @Test("a key added to root's authorized_keys is critical and names the writer")
    func rootKey() throws {
        var detector = IdentityDetector()
        let observed = detector.observe(
            Self.observation(
                "/root/.ssh/authorized_keys", .authorizedKeys, before: "", after: IdentityDiffTests.key + " x\n", writer: Self.writer("tee"),
                privileged: true), time: 5)
        let detection = try #require(observed)
        #expect(detection.kind == .identityChange && detection.severity == .critical)
        guard case .identity(let evidence) = detection.subject else { throw TestFailure("\(detection.subject)") }
        #expect(evidence.writer?.exe == "/usr/bin/tee" && evidence.changes[0].detail.hasSuffix("(opens root)"))
    }

    @Test("a key added for an ordinary user is a warning; a user removed alone is info")
    func severities() {
        var detector = IdentityDetector()
        let key = detector.observe(
            Self.observation("/home/bob/.ssh/authorized_keys", .authorizedKeys, before: nil, after: IdentityDiffTests.key + " x\n"), time: 1)
        #expect(key?.severity == .warning)
        let removed = detector.observe(
            Self.observation("/etc/passwd", .passwd, before: IdentityDiffTests.passwd, after: "root:x:0:0:root:/root:/bin/bash\n"), time: 1)
        #expect(removed?.severity == .info)
    }

    @Test("a file made world-writable is critical even with the same content")
    func worldWritable() {
        var detector = IdentityDetector()
        var observation = Self.observation("/etc/shadow", .shadow, before: "a:!:1::::::\n", after: "a:!:1::::::\n")
        observation.after?.stamp.mode = 0o100666
        let detection = detector.observe(observation, time: 1)
        #expect(detection?.severity == .critical)
    }

    @Test("changes written by a package run become one digest once the run is quiet")
    func packageDigest() throws {
        var detector = IdentityDetector(configuration: .init(packageQuietSeconds: 10))
        let dpkg = Self.writer("dpkg", packageRun: true)
        #expect(
            detector.observe(
                Self.observation("/etc/passwd", .passwd, before: "", after: "svc:x:998:998::/nonexistent:/usr/sbin/nologin\n", writer: dpkg),
                time: 100) == nil)
        #expect(
            detector.observe(
                Self.observation(
                    "/usr/lib/systemd/system/svc.service", .unit, before: nil, after: "[Service]\nExecStart=/usr/bin/svc\n", writer: dpkg), time: 101)
                == nil)
        #expect(detector.flush(time: 105) == nil)
        let flushed = detector.flush(time: 111)
        let digest = try #require(flushed)
        guard case .identity(let evidence) = digest.subject else { throw TestFailure("\(digest.subject)") }
        #expect(evidence.digestPaths == ["/etc/passwd", "/usr/lib/systemd/system/svc.service"])
        #expect(evidence.changes[0].detail == "2 watched files changed by a package run (dpkg)" && digest.severity == .info)
        #expect(detector.flush(time: 200) == nil)
    }
}
