import Shared

/// Block port and Unblock port: validates the request, refuses the guarded ports, and drives the `PortFirewall`.
struct PortBlockResponder: Sendable {
    var firewall: any PortFirewall = UnavailablePortFirewall(reason: "port blocks are not set up in this agent")
    var portGuard = PortGuard()
    /// `responses.never_block`: these sources still reach a blocked port (loopback always does).
    var exempt: [IPNetwork] = []
    var dryRun = false

    /// The port a command names, or why it is malformed.
    static func parse(transport: String, port: Int) -> Result<BlockedPort, ReportError> {
        guard let kind = BlockedPort.Transport(rawValue: transport) else {
            return .failure(ReportError(report: .refused("\(transport.debugDescription) is not tcp or udp")))
        }
        guard let number = UInt16(exactly: port), number > 0 else {
            return .failure(ReportError(report: .refused("\(port) is not a port (1–65535)")))
        }
        return .success(BlockedPort(transport: kind, port: number))
    }

    struct ReportError: Error {
        let report: ActionReport
    }

    func block(transport: String, port: Int) async -> ActionReport {
        let target: BlockedPort
        switch Self.parse(transport: transport, port: port) {
        case .success(let parsed): target = parsed
        case .failure(let error): return error.report
        }
        if let reason = await portGuard.refusal(for: target) { return .refused(reason) }
        let scope = exempt.isEmpty ? "everywhere but loopback" : "everywhere but loopback and \(exempt.map(\.description).joined(separator: ", "))"
        if dryRun { return .done("dry run: would drop \(target) from \(scope)") }
        do {
            try await firewall.preparePorts(exempt: exempt)
            if try await firewall.blockedPorts().contains(target) { return .alreadyDone("\(target) is already blocked") }
            try await firewall.block(target)
        } catch {
            return .failed("\(error)")
        }
        return .done("dropped \(target) from \(scope)")
    }

    func unblock(transport: String, port: Int) async -> ActionReport {
        let target: BlockedPort
        switch Self.parse(transport: transport, port: port) {
        case .success(let parsed): target = parsed
        case .failure(let error): return error.report
        }
        if dryRun { return .done("dry run: would unblock \(target)") }
        do {
            guard try await firewall.blockedPorts().contains(target) else { return .alreadyDone("\(target) is not blocked") }
            try await firewall.unblock(target)
        } catch {
            return .failed("\(error)")
        }
        return .done("unblocked \(target)")
    }
}
