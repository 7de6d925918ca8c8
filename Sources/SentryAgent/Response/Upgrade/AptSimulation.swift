import Shared

/// Reads the plan out of `apt-get -s` output: `Inst name [installed] (candidate …)` is an upgrade, `Inst name
/// (candidate …)` a new package, `Remv name [installed]` a removal. `Conf` lines repeat the `Inst` ones.
enum AptSimulation {
    static func plan(_ output: String) -> UpgradePlan {
        var upgrades: [PlannedUpgrade] = []
        var newPackages: [String] = []
        var removals: [String] = []
        for line in output.split(separator: "\n") {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard words.count >= 2 else { continue }
            switch words[0] {
            case "Inst":
                if words.count >= 4, words[2].hasPrefix("["), words[2].hasSuffix("]"), words[3].hasPrefix("(") {
                    upgrades.append(
                        PlannedUpgrade(
                            package: String(words[1]), installed: String(words[2].dropFirst().dropLast()), candidate: String(words[3].dropFirst())))
                } else {
                    newPackages.append(String(words[1]))
                }
            case "Remv", "Purg":
                removals.append(String(words[1]))
            default:
                continue
            }
        }
        return UpgradePlan(upgrades: upgrades, newPackages: newPackages, removals: removals)
    }

    /// Why `plan` is not exactly the pins: a removal, a new package, or an upgrade of something not pinned or to
    /// another version. Nil when the plan upgrades the pinned packages to their pins and does nothing else.
    static func deviation(of plan: UpgradePlan, from pins: [PackagePin]) -> String? {
        if !plan.removals.isEmpty { return "apt would remove \(plan.removals.joined(separator: ", "))" }
        if !plan.newPackages.isEmpty { return "apt would newly install \(plan.newPackages.joined(separator: ", "))" }
        var wanted: [String: DebianVersion] = [:]
        for pin in pins { wanted[pin.package] = pin.version }
        for upgrade in plan.upgrades {
            // apt names a foreign-architecture package `name:arch`; a pin may name it either way for the native one.
            let plain = String(upgrade.package.split(separator: ":", maxSplits: 1)[0])
            guard let version = wanted[upgrade.package] ?? wanted[plain] else {
                return "apt would also upgrade \(upgrade.package) (not pinned)"
            }
            let candidate: DebianVersion
            do {
                candidate = try DebianVersion(upgrade.candidate)
            } catch {
                return "apt's candidate \(upgrade.candidate) for \(upgrade.package) does not parse: \(error)"
            }
            guard candidate == version else {
                return "apt would upgrade \(upgrade.package) to \(upgrade.candidate), not the pinned \(version)"
            }
        }
        return nil
    }
}
