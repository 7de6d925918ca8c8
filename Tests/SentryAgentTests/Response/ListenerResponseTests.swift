import Foundation
import Shared
import Testing
import VigilTestSupport

@testable import SentryAgent

/// The answers to a new listener as values: what is offered, what travels, and what is refused before anything runs.
@Suite("responses to new listeners")
struct ListenerResponseTests {
    static let key = ListenerKey(transport: "tcp", scope: "any", port: 8080, executable: "/usr/bin/python3", placement: "web.service")

    static func detection(_ evidence: ListenerEvidence) -> Detection {
        Detection(kind: .newListener, severity: .warning, subject: .listener(evidence), observedAt: 0, firstSeen: 0, lastSeen: 0)
    }

    @Test("a new listener offers Accept, Kill, Stop, Stop and disable, Block port and Mute only where each can work")
    func offeredActions() {
        let factory = AlertFactory(agentID: "a", hostname: "h", responses: ResponsesConfiguration())
        let full = ListenerEvidence(
            transport: "tcp", address: "0.0.0.0", port: 8080, scope: "any", pid: 42, pidStartTime: 7, exe: "/usr/bin/python3", unit: "web.service",
            identity: Self.key)
        #expect(
            factory.actions(for: Self.detection(full)) == [
                .acknowledge, .acceptListener, .killProcess, .stopService, .stopDisableService, .blockPort, .muteProgram,
            ])
        var loopbackInContainer = full
        loopbackInContainer.scope = "loopback"
        loopbackInContainer.container = "docker:0123456789ab"
        loopbackInContainer.pidStartTime = nil
        #expect(factory.actions(for: Self.detection(loopbackInContainer)) == [.acknowledge, .acceptListener, .muteProgram])
        var session = full
        session.unit = "session-3.scope"
        #expect(!factory.actions(for: Self.detection(session)).contains(.stopService), "a login scope is not a service to stop")
        var off = ResponsesConfiguration()
        off.acceptListener = false
        off.killProcess = false
        off.stopService = false
        off.blockPort = false
        #expect(AlertFactory(agentID: "a", hostname: "h", responses: off).actions(for: Self.detection(full)) == [.acknowledge, .muteProgram])
    }

    @Test("the new actions keep their wire form: type, protocol, port, unit, disable, listener")
    func wireRoundTrip() throws {
        let actions: [ResponseAction] = [
            .acceptListener(Self.key), .killProcess(pid: 42, startTime: 7, listener: Self.key), .killProcess(pid: 42, startTime: 7, listener: nil),
            .stopService(unit: "web.service", disable: true, listener: Self.key), .blockPort(transport: "udp", port: 53),
            .unblockPort(transport: "tcp", port: 8080),
        ]
        for action in actions {
            #expect(try WireCoding.decode(ResponseAction.self, from: try WireCoding.encode(action)) == action)
        }
        let text = String(decoding: try WireCoding.encode(ResponseAction.blockPort(transport: "tcp", port: 8080)), as: UTF8.self)
        #expect(text == #"{"port":8080,"protocol":"tcp","type":"block_port"}"#)
        let accept = String(decoding: try WireCoding.encode(ResponseAction.acceptListener(Self.key)), as: UTF8.self)
        #expect(
            accept.contains(#""listener":{"executable":"/usr/bin/python3","placement":"web.service","port":8080,"protocol":"tcp","scope":"any"}"#))
    }

    @Test("only plain .service and .socket names reach systemctl; the agent's own unit and sshd's are refused")
    func unitNames() async {
        for good in ["nginx.service", "getty@tty1.service", "docker.socket", "a-b_c:d.service", "dev-x\\x2dy.service"] {
            #expect(ServiceStopper.isPlainUnitName(good), "\(good)")
        }
        for bad in [
            "", "--now.service", "-x.service", ".service", "nginx", "nginx.scope", "../etc.service", "a b.service", "*.service", "x.service\n",
        ] {
            #expect(!ServiceStopper.isPlainUnitName(bad), "\(bad.debugDescription)")
        }
        let runner = RecordingCommandRunner()
        let stopper = ServiceStopper(systemctl: "/usr/bin/systemctl", runner: runner, ownUnit: "sentry-agent.service")
        #expect(await stopper.stop(unit: "--force", disable: false) == .refused("\"--force\" is not a plain .service or .socket unit name"))
        #expect(await stopper.stop(unit: "sentry-agent.service", disable: false) == .refused("sentry-agent.service is the agent's own unit"))
        #expect((await stopper.stop(unit: "ssh.service", disable: true)).outcome != .done)
        #expect(runner.invocations.isEmpty, "a refused stop runs nothing")
        #expect(await stopper.stop(unit: "web.service", disable: true) == .done("stopped and disabled web.service"))
        #expect(
            runner.invocations.map(\.argv) == [
                ["/usr/bin/systemctl", "stop", "--", "web.service"], ["/usr/bin/systemctl", "disable", "--", "web.service"],
            ])
        let failing = ServiceStopper(
            systemctl: "/usr/bin/systemctl", runner: RecordingCommandRunner { _ in .failure(status: 5, stderr: "Unit web.service not loaded.") })
        #expect((await failing.stop(unit: "web.service", disable: false)).outcome != .done)
        #expect(await ServiceStopper(systemctl: nil).stop(unit: "web.service", disable: false) == .failed("systemctl is not installed"))
    }

    @Test("sshd's ports come from the port lines of sshd -T; without an answer 22 is assumed")
    func sshdPorts() async {
        let text = "port 22\naddressfamily any\nport 2222\nlistenaddress [::]:22\npermitrootlogin without-password\n"
        #expect(PortGuard.ports(inEffectiveConfiguration: text) == [22, 2222])
        let answering = PortGuard(sshd: "/usr/sbin/sshd", runner: RecordingCommandRunner { _ in .success("port 2200\n") })
        #expect(await answering.refusal(for: BlockedPort(transport: .tcp, port: 2200)) == "port 2200 is sshd's port (sshd -T)")
        #expect(await answering.refusal(for: BlockedPort(transport: .tcp, port: 22)) == nil)
        #expect(await answering.refusal(for: BlockedPort(transport: .udp, port: 2200)) == nil, "UDP carries no SSH")
        let silent = PortGuard(sshd: "/usr/sbin/sshd", runner: RecordingCommandRunner { _ in .failure(stderr: "no hostkeys available") })
        #expect(await silent.refusal(for: BlockedPort(transport: .tcp, port: 22)) == "port 22 is sshd's port (sshd -T failed, assuming 22)")
        #expect(await PortGuard().refusal(for: BlockedPort(transport: .tcp, port: 22)) == nil, "no sshd installed: nothing to keep")
    }

    @Test("the nft port chain exempts loopback and never_block, then drops the blocked ports of each protocol")
    func portsSetupScript() throws {
        let script = NFTablesFirewall.portsSetupScript(exempt: [IPNetwork("10.0.0.0/8")!, IPNetwork("2001:db8::/32")!])
        #expect(script.contains("add rule inet vigil ports iif lo accept\n"))
        #expect(script.contains("add rule inet vigil ports ip saddr { 10.0.0.0/8 } accept\n"))
        #expect(script.contains("add rule inet vigil ports ip6 saddr { 2001:db8::/32 } accept\n"))
        #expect(script.hasSuffix("tcp dport @ports_tcp counter drop\nadd rule inet vigil ports udp dport @ports_udp counter drop\n"))
        #expect(!NFTablesFirewall.portsSetupScript(exempt: []).contains("saddr"))
        let listing =
            #"{"nftables": [{"metainfo": {"version": "1.0.9"}}, {"set": {"family": "inet", "name": "ports_tcp", "table": "vigil", "type": "inet_service", "handle": 5, "elem": [8080, 9000]}}]}"#
        #expect(NFTPortSet.ports(fromJSON: Array(listing.utf8)) == [8080, 9000])
        #expect(NFTPortSet.ports(fromJSON: Array("nonsense".utf8)) == nil)
    }

    @Test("Accept is refused without the detector's state, and for an identity no agent makes")
    func acceptRefusals() throws {
        #expect(ListenerResponder().accept(Self.key) == .refused("the listeners detector does not run in this agent"))
        let directory = try TemporaryDirectory("vigil-listener-accept")
        let responder = ListenerResponder(decisions: ListenerDecisions(store: ListenerBaselineStore(stateDirectory: directory.path)))
        #expect(responder.accept(Self.key) == .refused("the listeners detector has not formed its baseline yet"))
        var bad = Self.key
        bad.transport = "sctp"
        #expect(responder.accept(bad) == .refused("not a listener identity this agent makes"))
    }
}
