import FoundationEssentials
import Logging
import ServiceLifecycle
import Shared

/// Sends the host's package inventory (source packages with their versions and binaries, and the release from
/// `/etc/os-release`) to the hub's sealed `POST /inventory` whenever it changes, so the hub can match the whole fleet
/// against one vulnerability feed. Checked every `interval` (reading dpkg's status takes milliseconds); the digest of
/// the last inventory the hub accepted is kept in the state directory, so a restart sends nothing new.
struct InventorySender: Service {
    let agentID: String
    let hostname: String
    let statusPath: String
    var osReleasePath = "/etc/os-release"
    /// Where the digest of the last accepted inventory is kept.
    let sentPath: String
    let client: SealedClient
    let logger: Logger
    var interval: Duration = .seconds(600)
    /// The binary packages owning a listener reachable from outside (nil: not known, the field is left out).
    var exposedPackages: (@Sendable () -> Set<String>?)?

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var sent = readSent()
            while !Task.isCancelled {
                sent = await sendIfChanged(lastSent: sent)
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Builds the inventory and sends it if its digest differs from `lastSent`; the digest the hub now holds.
    func sendIfChanged(lastSent: String?) async -> String? {
        let inventory: PackageInventory
        let digest: String
        do {
            inventory = try build(now: Date())
            digest = try inventory.contentHash()
        } catch {
            logger.error("cannot read the package inventory", metadata: ["error": "\(error)"])
            return lastSent
        }
        guard digest != lastSent else { return lastSent }
        do {
            _ = try await client.post("/inventory", body: try WireCoding.encode(inventory))
        } catch {
            if let hint = HubRefusal.hint(for: error) {
                logger.error("inventory not delivered: \(hint)")
            } else {
                logger.notice("inventory not delivered; retrying at the next check", metadata: ["reason": "\(error)"])
            }
            return lastSent
        }
        logger.info("inventory sent", metadata: ["sources": "\(inventory.sources.count)", "release": "\(inventory.release)"])
        do {
            try PrivateFile.replace(sentPath, with: Array((digest + "\n").utf8))
        } catch {
            // Not fatal: after a restart the same inventory is sent once more.
            logger.error("cannot save \(sentPath): \(error)")
        }
        return digest
    }

    /// The inventory as it is now.
    func build(now: Date) throws -> PackageInventory {
        let status = try DpkgStatusReader(path: statusPath).read()
        let release = Self.osRelease(String(decoding: try Data(contentsOf: URL(filePath: osReleasePath)), as: UTF8.self))
        return PackageInventory(
            agent: agentID, hostname: hostname, distribution: release["ID"] ?? "debian", release: release["VERSION_CODENAME"] ?? "unknown",
            sources: PackageInventory.sources(of: status.packages), collectedAt: now,
            exposed: exposedPackages?().map { Self.sources(of: $0, in: status.packages) }, versionId: release["VERSION_ID"])
    }

    /// The sources of the binary packages `names` (`name` or `name:arch`, as dpkg names owners), sorted.
    static func sources(of names: Set<String>, in packages: [InstalledPackage]) -> [String] {
        let plain = Set(names.map { String($0.split(separator: ":", maxSplits: 1)[0]) })
        return Set(packages.filter { plain.contains($0.name) }.map(\.source)).sorted()
    }

    /// `KEY=value` lines of `os-release(5)`, values unquoted (single or double quotes, backslash escapes in double).
    static func osRelease(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals])
            var value = Substring(line[line.index(after: equals)...])
            if let quote = value.first, quote == "\"" || quote == "'", value.count >= 2, value.last == quote {
                value = value.dropFirst().dropLast()
                if quote == "\"" {
                    var unescaped = ""
                    var escaping = false
                    for character in value {
                        if !escaping, character == "\\" {
                            escaping = true
                            continue
                        }
                        escaping = false
                        unescaped.append(character)
                    }
                    value = Substring(unescaped)
                }
            }
            fields[key] = String(value)
        }
        return fields
    }

    private func readSent() -> String? {
        let text = String(decoding: AppendOnlyFile.readAll(sentPath), as: UTF8.self).split(separator: "\n").first.map(String.init)
        return text?.isEmpty == false ? text : nil
    }
}

extension InventorySender: CustomStringConvertible {
    /// How the service group names this service in its logs.
    var description: String { "InventorySender" }
}
