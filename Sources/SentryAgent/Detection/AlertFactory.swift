import FoundationEssentials
import Shared

/// Turns detections into wire alerts: this agent's id and hostname, the actions its configuration allows, and an
/// id derived from the line that tipped the detection, so the same line read twice gives the same alert id.
struct AlertFactory: Sendable {
    let agentID: String
    let hostname: String
    let responses: ResponsesConfiguration
    /// Whether the process `pid` that started at the given time still runs (Kill writer is offered only then).
    var processRuns: @Sendable (Int32, UInt64) -> Bool = { pid, startTime in ProcessTable().status(of: pid)?.startTime == startTime }

    func alert(for detection: Detection) -> Alert {
        Alert(
            id: Self.alertID(agentID: agentID, detection: detection),
            agent: agentID,
            hostname: hostname,
            kind: detection.kind,
            severity: detection.severity,
            observedAt: Date(timeIntervalSince1970: TimeInterval(detection.observedAt)),
            subject: detection.subject,
            actions: actions(for: detection)
        )
    }

    /// The responses offered for a detection, minus those this agent's configuration disables.
    func actions(for detection: Detection) -> [AlertAction] {
        let block: [AlertAction] = responses.blockIP ? [.blockIP1h, .blockIP24h, .blockIPPermanent] : []
        switch detection.subject {
        case .sshSession(let evidence):
            // Killing needs the start time: without it the agent could not tell the session from a reused pid.
            let kill: [AlertAction] = responses.killSession && evidence.pid > 0 && evidence.pidStartTime != nil ? [.killSession] : []
            return [.acknowledge] + kill + block
        case .sshBruteForce:
            return block + [.ignore]
        case .http404:
            return [.ignore] + block
        case .cpu:
            guard detection.kind == .cpuSustained else { return [] }
            return [.acknowledge] + (responses.reboot ? [.reboot] : []) + (responses.shutdown ? [.shutdown] : [])
        case .listener(let evidence):
            return listenerActions(evidence)
        case .agent:
            return [.acknowledge]
        case .securityUpdates:
            return [.acknowledge] + (responses.upgradePackages ? [.upgradePackages] : [])
        case .upgradeFinished:
            // Folded into the message of the alert the upgrade was chosen on.
            return []
        case .restartNeeded(let evidence):
            let restart: [AlertAction] = responses.restartServices && !evidence.units.isEmpty ? [.restartServices] : []
            let reboot: [AlertAction] = responses.reboot && evidence.rebootRequired ? [.reboot] : []
            return restart + reboot + [.acknowledge]
        case .identity(let evidence):
            return identityActions(evidence)
        }
    }

    /// An identity change's answers, each only where the evidence names what it acts on: Remove this key a key added,
    /// Remove from group a member added, Lock user an account added (never root), Revert a small kept text file that
    /// exists before and after, Kill writer a writer still running; Kill the session and Block the address the SSH
    /// session the change was made from. A package-run digest is only acknowledged.
    private func identityActions(_ evidence: IdentityEvidence) -> [AlertAction] {
        guard !evidence.isDigest else { return [.acknowledge] }
        var actions: [AlertAction] = responses.acceptChange ? [.acceptChange] : [.acknowledge]
        if responses.removeKey, evidence.addedKeyFingerprint != nil { actions.append(.removeKey) }
        if responses.removeFromGroup, evidence.addedGroupMember != nil { actions.append(.removeFromGroup) }
        if responses.lockUser, let user = evidence.addedUser, user != "root" { actions.append(.lockUser) }
        if responses.revertFile, evidence.isRevertible { actions.append(.revertFile) }
        if let writer = evidence.writer {
            if responses.killWriter, writer.pid > 1, let startTime = writer.pidStartTime, processRuns(writer.pid, startTime) {
                actions.append(.killWriter)
            }
            if responses.killSession, writer.sshSessionPID != nil, writer.sshSessionStartTime != nil { actions.append(.killSession) }
            if responses.blockIP, writer.sshFrom != nil { actions += [.blockIP1h, .blockIP24h, .blockIPPermanent] }
        }
        return actions
    }

    /// A new listener's answers, each only where it can work: Accept needs the identity, a kill the start time, a
    /// stop a plain unit name (a container's process is not the host's service), a port block a port reachable from
    /// outside; Mute needs an executable to mute.
    private func listenerActions(_ evidence: ListenerEvidence) -> [AlertAction] {
        var actions: [AlertAction] = [.acknowledge]
        if responses.acceptListener, evidence.identity != nil { actions.append(.acceptListener) }
        if responses.killProcess, let pid = evidence.pid, pid > 1, evidence.pidStartTime != nil { actions.append(.killProcess) }
        if responses.stopService, evidence.container == nil, let unit = evidence.unit, ServiceStopper.isPlainUnitName(unit) {
            actions += [.stopService, .stopDisableService]
        }
        if responses.blockPort, evidence.scope != "loopback" { actions.append(.blockPort) }
        if evidence.exe != nil { actions.append(.muteProgram) }
        return actions
    }

    /// A version-8 UUID from (agent, line origin, kind, severity), or a random one for detections without a line.
    static func alertID(agentID: String, detection: Detection) -> UUID {
        guard let origin = detection.origin else { return UUID() }
        var first = FNV1a.hash(agentID)
        var second = FNV1a.hash(agentID, seed: 0x6A09_E667_F3BC_C908)
        for value in [origin.stream, UInt64(bitPattern: origin.offset), FNV1a.hash(detection.kind.rawValue), FNV1a.hash(detection.severity.rawValue)]
        {
            first = (first ^ value) &* FNV1a.prime
            first ^= first >> 29
            second = (second ^ value.byteSwapped) &* 0x9E37_79B9_7F4A_7C15
            second ^= second >> 31
        }
        var bytes = (0..<8).map { UInt8(truncatingIfNeeded: first >> (8 * $0)) } + (0..<8).map { UInt8(truncatingIfNeeded: second >> (8 * $0)) }
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10], bytes[11], bytes[12],
                bytes[13], bytes[14], bytes[15]
            ))
    }
}
