import Shared

#if canImport(Glibc)
    import Glibc
#endif

/// After an upgrade: which processes still map files the upgraded packages replaced (`(deleted)` entries of
/// `/proc/<pid>/maps` whose path a package's file list names), which units they belong to, whether `needrestart -b`
/// names services, and whether the host asks for a reboot (`/var/run/reboot-required`).
struct RestartCheck: Sendable {
    let settings: UpgradeSettings
    let runner: any CommandRunner

    /// Processes outside any unit listed in the evidence.
    static let maxProcesses = 20

    /// Nil when nothing needs a restart.
    func check(packages: [String]) async -> RestartNeededEvidence? {
        let files = packageFiles(packages)
        var units: Set<String> = []
        var processes: [String] = []
        for pid in settings.proc.processIDs() {
            guard let maps = settings.proc.read("\(pid)/maps", limit: 4 << 20), Self.mapsDeleted(maps, of: files) else { continue }
            if let unit = unit(of: pid) {
                units.insert(unit)
            } else if processes.count < Self.maxProcesses {
                processes.append("\(settings.proc.processTicks(pid: pid)?.name ?? "?")[\(pid)]")
            }
        }
        units.formUnion(await needrestartServices())
        let reboot = ProcFileSystem(root: "").read(String(settings.rebootRequiredPath.dropFirst()), limit: 4096) != nil
        guard !units.isEmpty || !processes.isEmpty || reboot else { return nil }
        return RestartNeededEvidence(units: units.sorted(), processes: processes, rebootRequired: reboot, packages: packages.sorted())
    }

    /// The paths (as the running system sees them) that the packages' file lists name.
    private func packageFiles(_ packages: [String]) -> Set<String> {
        let info = ProcFileSystem(root: settings.adminDirectory + "/info")
        var files: Set<String> = []
        for package in packages {
            let name = package.split(separator: ":")[0]
            let list = info.read("\(package).list", limit: 16 << 20) ?? info.read("\(name).list", limit: 16 << 20) ?? []
            for line in String(decoding: list, as: UTF8.self).split(separator: "\n") where line.hasPrefix("/") {
                files.insert(settings.installRoot + line)
            }
        }
        return files
    }

    /// True when a line of `maps` is a `(deleted)` mapping of one of `files`.
    static func mapsDeleted(_ maps: [UInt8], of files: Set<String>) -> Bool {
        let suffix = " (deleted)"
        for line in String(decoding: maps, as: UTF8.self).split(separator: "\n") where line.hasSuffix(suffix) {
            guard let slash = line.firstIndex(of: "/") else { continue }
            if files.contains(String(line[slash...].dropLast(suffix.count))) { return true }
        }
        return false
    }

    /// The systemd service of `pid` from `/proc/<pid>/cgroup` (`0::/system.slice/nginx.service`), if any.
    private func unit(of pid: Int32) -> String? {
        guard let cgroup = settings.proc.read("\(pid)/cgroup", limit: 4096) else { return nil }
        for line in String(decoding: cgroup, as: UTF8.self).split(separator: "\n") {
            guard let last = line.split(separator: "/").last, last.hasSuffix(".service"), !line.contains("/user.slice/") else { continue }
            return String(last)
        }
        return nil
    }

    /// `NEEDRESTART-SVC: name` lines of `needrestart -b`, when it is installed.
    private func needrestartServices() async -> [String] {
        guard access(settings.needrestart, X_OK) == 0 else { return [] }
        let output = await runner.run(ProgramInvocation(settings.needrestart, ["-b"], timeout: .seconds(120)))
        return String(decoding: output.standardOutput, as: UTF8.self).split(separator: "\n").compactMap { line in
            guard line.hasPrefix("NEEDRESTART-SVC:") else { return nil }
            let name = line.dropFirst("NEEDRESTART-SVC:".count).trimmingWhitespace()
            return ServiceRestarter.isPlainUnitName(name) ? name : nil
        }
    }
}
