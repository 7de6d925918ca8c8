import FoundationEssentials

/// Which package manager keeps this host's packages: what the `packages` detector asks for pending security updates.
enum PackageFamily: Sendable, Equatable {
    /// dpkg and apt: Debian, Ubuntu and their derivatives.
    case debian
    /// rpm and dnf: RHEL, CentOS Stream, Rocky, Alma, Fedora.
    case rhel

    /// From `/etc/os-release` (`ID` or `ID_LIKE` naming rhel, fedora or centos); without one that says so, a host
    /// with dnf and no dpkg is RPM-based too. Everything else is treated as Debian (the detector then reports its own
    /// errors, as before).
    static func detect(
        osRelease: [String: String], hasProgram: (String) -> Bool = { FileManager.default.isExecutableFile(atPath: $0) }
    ) -> PackageFamily {
        let names = ((osRelease["ID"] ?? "") + " " + (osRelease["ID_LIKE"] ?? "")).lowercased().split(separator: " ")
        if names.contains(where: { ["rhel", "fedora", "centos"].contains($0) }) { return .rhel }
        if names.contains(where: { ["debian", "ubuntu"].contains($0) }) { return .debian }
        return hasProgram("/usr/bin/dnf") && !hasProgram("/usr/bin/dpkg") ? .rhel : .debian
    }

    /// This host's family (`/etc/os-release` unreadable counts as empty).
    static var host: PackageFamily {
        let text = FileManager.default.contents(atPath: "/etc/os-release").map { String(decoding: $0, as: UTF8.self) } ?? ""
        return detect(osRelease: InventorySender.osRelease(text))
    }
}
