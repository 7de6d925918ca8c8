import FoundationEssentials
import Shared

/// `plan_upgrade`: the hub's fleet view knows which source packages a CVE is fixed in and from which version, but
/// not the candidate each host's repositories offer. The agent simulates upgrading every installed binary of those
/// sources to apt's candidate and answers the plan; the hub then sends `upgrade_packages` with that plan's exact
/// pins and hash, which this agent checks again before anything runs. Nothing is installed here.
extension PackageUpgrader {
    /// Simulates the upgrade of `floors`' source packages; refused when apt would do anything else (remove, newly
    /// install, upgrade a package of another source) or when a candidate is older than its source's fixed version.
    func plan(_ floors: [UpgradeFloor]) async -> ActionReport {
        var wanted: [String: DebianVersion] = [:]
        guard !floors.isEmpty, floors.count <= PackagePin.maxCount else { return .refused("between 1 and \(PackagePin.maxCount) sources") }
        for floor in floors {
            // The same checks as a pin: a package name and a version dpkg accepts, nothing apt could read as an option.
            do {
                let pin = try PackagePin("\(floor.source)=\(floor.fixed)")
                wanted[floor.source] = max(wanted[floor.source] ?? pin.version, pin.version)
            } catch {
                return .refused(error.description)
            }
        }
        let installed: [InstalledPackage]
        do {
            installed = try DpkgStatusReader(path: settings.statusPath).read().packages
        } catch {
            return .failed(error.description)
        }
        let binaries = installed.filter { wanted[$0.source] != nil }
        guard !binaries.isEmpty else { return .refused("none of \(wanted.keys.sorted().joined(separator: ", ")) is installed") }
        // Versioned like their source (the source's version, or a binNMU's `+bN` after it): their candidates compare
        // with the source's fixed version; a binary versioned apart from its source cannot be compared and is not.
        let comparable = binaries.filter { $0.version.description.hasPrefix($0.sourceVersion.description) }
        if comparable.allSatisfy({ binary in wanted[binary.source].map { binary.sourceVersion >= $0 } ?? true }) {
            return .alreadyDone("every installed binary of \(wanted.keys.sorted().joined(separator: ", ")) is at or above its fixed version")
        }
        let names = Array(Set(binaries.map(\.name))).sorted()
        let plan: UpgradePlan
        switch await simulation(of: names) {
        case .success(let simulated): plan = simulated
        case .failure(let reason): return .refused("apt-get -s: \(reason)")
        }
        if let problem = Self.problem(with: plan, wanted: wanted, binaries: binaries, comparable: comparable) { return .refused(problem) }
        var report = ActionReport.done(Self.summary(plan))
        report.plan = plan
        return report
    }

    /// Why `plan` cannot be offered: apt removes or adds something, upgrades another source's package, stops below a
    /// fixed version, or leaves a vulnerable binary where it is (its fix is not in this host's repositories).
    static func problem(with plan: UpgradePlan, wanted: [String: DebianVersion], binaries: [InstalledPackage], comparable: [InstalledPackage])
        -> String?
    {
        if !plan.removals.isEmpty { return "apt would remove \(plan.removals.joined(separator: ", "))" }
        if !plan.newPackages.isEmpty { return "apt would newly install \(plan.newPackages.joined(separator: ", "))" }
        var sourceOf: [String: String] = [:]
        for binary in binaries { sourceOf[binary.name] = binary.source }
        var upgraded: Set<String> = []
        for upgrade in plan.upgrades {
            let name = String(upgrade.package.split(separator: ":", maxSplits: 1)[0])
            guard let source = sourceOf[name], let floor = wanted[source] else {
                return "apt would also upgrade \(upgrade.package), which is not built from the named sources"
            }
            upgraded.insert(name)
            guard comparable.contains(where: { $0.name == name }) else { continue }
            let candidate: DebianVersion
            do {
                candidate = try DebianVersion(upgrade.candidate)
            } catch {
                return "apt's candidate \(upgrade.candidate) for \(upgrade.package) does not parse: \(error)"
            }
            if candidate < floor {
                return "the candidate \(upgrade.candidate) of \(upgrade.package) is older than the fixed version \(floor) of \(source)"
            }
        }
        for binary in comparable where !upgraded.contains(binary.name) {
            guard let floor = wanted[binary.source], binary.sourceVersion < floor else { continue }
            return "no candidate for \(binary.name) (\(binary.version)): the fix \(floor) of \(binary.source) is not in this host's repositories"
        }
        return nil
    }
}
