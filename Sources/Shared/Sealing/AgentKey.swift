import Crypto
import FoundationEssentials

/// The 256-bit secret an agent and the hub share. Never logged: `description` is redacted.
public struct AgentKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Raw bytes; `SymmetricKey` is not `Sendable`, so it is rebuilt where it is used.
    private let bytes: [UInt8]

    /// The symmetric key used for ChaChaPoly.
    var symmetricKey: SymmetricKey { SymmetricKey(data: bytes) }

    /// Wraps 32 raw key bytes.
    public init?(rawBytes: some Collection<UInt8>) {
        guard rawBytes.count == 32 else { return nil }
        bytes = Array(rawBytes)
    }

    /// Parses the base64 form printed by `bothub agent add`; nil unless it decodes to exactly 32 bytes.
    public init?(base64: String) {
        guard let data = Data(base64Encoded: base64.trimmingWhitespace()) else { return nil }
        self.init(rawBytes: data)
    }

    /// A fresh random key.
    public static func generate() -> AgentKey {
        AgentKey(exactly: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    private init(exactly bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The key as standard base64, for configuration files.
    public var base64: String {
        Data(bytes).base64EncodedString()
    }

    public var description: String { "AgentKey(redacted)" }
    public var debugDescription: String { description }
    /// Reflection (`dump`, default struct printing) shows no key bytes either.
    public var customMirror: Mirror { Mirror(self, children: []) }

    /// Constant-time comparison, so equality checks cannot leak key bytes through timing.
    public static func == (lhs: AgentKey, rhs: AgentKey) -> Bool {
        zip(lhs.bytes, rhs.bytes).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
