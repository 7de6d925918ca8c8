/// One node of a YAML document, as libyaml read it: a scalar, a mapping (its pairs in file order) or a sequence,
/// each with the line and column where it starts.
///
/// Aliases are already resolved (an alias is a copy of the node its anchor names, at the alias' place), within the
/// limits of `YAMLComposer`: no tree handed out expands to more than its node budget.
public struct YAMLNode: Sendable, Equatable {
    /// What the node holds.
    public enum Kind: Sendable, Equatable {
        case scalar(YAMLScalar)
        case mapping([YAMLPair])
        case sequence([YAMLNode])
    }

    public let kind: Kind
    /// 1-based line of the node's first character.
    public let line: Int
    /// 1-based column (in Unicode scalars) of the node's first character.
    public let column: Int
    /// Nodes in this tree once every alias in it is expanded (itself included): what a reader walking it visits.
    let weight: Int

    init(kind: Kind, line: Int, column: Int, weight: Int) {
        self.kind = kind
        self.line = line
        self.column = column
        self.weight = weight
    }

    /// The document in `text` (nil when it holds none: empty, or only comments).
    public static func parse(_ text: String, limits: YAMLComposer.Limits = .init()) throws(YAMLError) -> YAMLNode? {
        try parse(bytes: Array(text.utf8), limits: limits)
    }

    /// The document in the UTF-8 `bytes` (nil when it holds none); text that is not UTF-8 is refused naming its line.
    public static func parse(bytes: [UInt8], limits: YAMLComposer.Limits = .init()) throws(YAMLError) -> YAMLNode? {
        try YAMLComposer(limits: limits).compose(bytes)
    }

    /// The scalar, when this node is one.
    public var scalar: YAMLScalar? {
        if case .scalar(let scalar) = kind { return scalar }
        return nil
    }

    /// The value of the first pair whose key is the scalar `key`, when this node is a mapping.
    public subscript(key: String) -> YAMLNode? {
        guard case .mapping(let pairs) = kind else { return nil }
        return pairs.first { $0.key.scalar?.text == key }?.value
    }
}

/// A key and its value in a mapping.
public struct YAMLPair: Sendable, Equatable {
    public let key: YAMLNode
    public let value: YAMLNode
}
