import Foundation
import SentryAgent
import Shared
import Testing

@Suite("responses: configuration")
struct ResponsesConfigurationTests {
    static let head = """
        agent: {id: web-1, state_dir: /var/lib/vigil-agent}
        hub: {url: "http://10.0.0.1:7070", key: "\(AgentKey.generate().base64)"}

        """

    @Test("defaults: block and kill on, power off, firewall auto, 3 s grace")
    func defaults() throws {
        let configuration = try AgentConfiguration.parse(yaml: Self.head, environment: [:]).responses
        #expect(configuration.blockIP && configuration.killSession)
        #expect(!configuration.reboot && !configuration.shutdown)
        #expect(configuration.firewall == .auto)
        #expect(configuration.killGrace == .seconds(3))
        #expect(configuration.rebootCommand == nil)
    }

    @Test("every field is read")
    func full() throws {
        let yaml =
            Self.head + """
                responses:
                  block_ip: false
                  kill_session: false
                  reboot: true
                  shutdown: true
                  never_block: [10.0.0.0/8, "2001:db8::/32", 192.0.2.1]
                  firewall: iptables
                  kill_grace: 5s
                  power_delay: 3s
                  reboot_command: [/sbin/shutdown, -r, +1]
                  shutdown_command: [poweroff]
                """
        let configuration = try AgentConfiguration.parse(yaml: yaml, environment: [:]).responses
        #expect(!configuration.blockIP && !configuration.killSession && configuration.reboot && configuration.shutdown)
        #expect(configuration.neverBlock.map(\.description) == ["10.0.0.0/8", "2001:db8::/32", "192.0.2.1/32"])
        #expect(configuration.firewall == .iptables)
        #expect(configuration.killGrace == .seconds(5))
        #expect(configuration.powerDelay == .seconds(3))
        #expect(configuration.rebootCommand == ["/sbin/shutdown", "-r", "+1"])
        #expect(configuration.shutdownCommand == ["poweroff"])
    }

    @Test("bad fields are named")
    func problems() {
        let yaml =
            Self.head + """
                responses:
                  reboot: maybe
                  never_block: [10.0.0.1/8, example.com]
                  firewall: pf
                  kill_grace: 10m
                  reboot_command: [bin/reboot]
                  shutdown_command: []
                  never_blok: [1.2.3.4]
                """
        #expect {
            try AgentConfiguration.parse(yaml: yaml, environment: [:])
        } throws: { error in
            let fields = Set((error as? ConfigError)?.problems.map(\.field) ?? [])
            return fields == [
                "responses.reboot", "responses.never_block[0]", "responses.never_block[1]", "responses.firewall", "responses.kill_grace",
                "responses.reboot_command", "responses.shutdown_command", "responses.never_blok",
            ]
        }
    }

    @Test("upgrades are off by default; their apt options must be Name=value and the lock timeout bounded")
    func upgrades() throws {
        let defaults = try AgentConfiguration.parse(yaml: Self.head, environment: [:]).responses
        #expect(!defaults.upgradePackages && !defaults.restartServices && defaults.aptOptions.isEmpty)
        #expect(defaults.dpkgLockTimeout == .seconds(120))
        let yaml =
            Self.head + """
                responses:
                  upgrade_packages: true
                  restart_services: true
                  apt_options: ["Acquire::http::Proxy=http://proxy:3128"]
                  dpkg_lock_timeout: 30s
                """
        let configuration = try AgentConfiguration.parse(yaml: yaml, environment: [:]).responses
        #expect(configuration.upgradePackages && configuration.restartServices)
        #expect(configuration.aptOptions == ["Acquire::http::Proxy=http://proxy:3128"])
        #expect(configuration.dpkgLockTimeout == .seconds(30))
        let bad =
            Self.head + """
                responses:
                  apt_options: ["--allow-downgrades", "=x", "Name=ok"]
                  dpkg_lock_timeout: 2h
                """
        #expect {
            try AgentConfiguration.parse(yaml: bad, environment: [:])
        } throws: { error in
            Set((error as? ConfigError)?.problems.map(\.field) ?? []) == [
                "responses.apt_options[0]", "responses.apt_options[1]", "responses.dpkg_lock_timeout",
            ]
        }
    }
}
