import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// Describes the process that wrote a watched file, from `/proc`, at the moment its event is read (the writer may
/// exit a moment later; `useradd` lives for milliseconds).
struct WriterReader: Sendable {
    let proc: ProcFileSystem
    let users: any UserNameResolver
    /// The most ancestors named.
    static let parentLimit = 8
    /// `comm` names of package tools: their writes form one digest after the run.
    static let packageTools: Set<String> = ["dpkg", "apt", "apt-get", "aptitude", "unattended-upgr", "packagekitd", "dpkg-preconfigu"]

    /// `comm` of an SSH session process (`sshd-session` since OpenSSH 9.8).
    static let sessionCommands: Set<String> = ["sshd", "sshd-session"]

    /// The client address in `SSH_CONNECTION` (`client port server port`) of `pid`'s environment, if set.
    func clientAddress(pid: Int32) -> String? {
        guard let environment = proc.read("\(pid)/environ", limit: 256 * 1024) else { return nil }
        let key = Array("SSH_CONNECTION=".utf8)
        for entry in environment.split(separator: 0, omittingEmptySubsequences: true) where entry.starts(with: key) {
            let value = entry.dropFirst(key.count).prefix { $0 != UInt8(ascii: " ") }
            let address = String(decoding: value, as: UTF8.self)
            return IPAddress(address) == nil ? nil : address
        }
        return nil
    }

    struct Writer: Sendable, Equatable {
        var evidence: WriterEvidence
        /// The writer or one of its ancestors is dpkg or apt.
        var isPackageRun: Bool
    }

    /// The writer, or nil when the process is already gone.
    func writer(pid: Int32) -> Writer? {
        guard pid > 0, let stat = proc.processTicks(pid: pid) else { return nil }
        var loginUID: UInt32?
        if let bytes = proc.read("\(pid)/loginuid", limit: 32), let value = UInt32(String(decoding: bytes, as: UTF8.self).trimmingWhitespace()),
            value != UInt32.max
        {
            loginUID = value
        }
        var parents: [String] = []
        var isPackageRun = Self.packageTools.contains(stat.name)
        var sshFrom = clientAddress(pid: pid)
        var sshSessionPID: Int32?
        var sshSessionStartTime: UInt64?
        var parent = stat.parentPID
        while parent > 1, parents.count < Self.parentLimit, let ancestor = proc.processTicks(pid: parent) {
            parents.append("\(ancestor.name)(\(parent))")
            if Self.packageTools.contains(ancestor.name) { isPackageRun = true }
            if sshSessionPID == nil, Self.sessionCommands.contains(ancestor.name) {
                sshSessionPID = parent
                sshSessionStartTime = ancestor.startTime
            } else if sshSessionPID == nil, sshFrom == nil {
                sshFrom = clientAddress(pid: parent)
            }
            parent = ancestor.parentPID
        }
        let evidence = WriterEvidence(
            pid: pid, pidStartTime: stat.startTime, exe: readLink(proc.root + "/\(pid)/exe"),
            commandLine: ListenerOwnerReader.commandLine(proc.read("\(pid)/cmdline", limit: 65_536) ?? []), loginUID: loginUID,
            loginUser: loginUID.map { users.name(of: $0) }, parents: parents, sshSessionPID: sshSessionPID,
            sshFrom: sshSessionPID == nil ? nil : sshFrom, sshSessionStartTime: sshSessionStartTime)
        return Writer(evidence: evidence, isPackageRun: isPackageRun)
    }
}
