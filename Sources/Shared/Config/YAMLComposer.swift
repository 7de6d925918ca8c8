internal import CLibYAML

/// Builds `YAMLNode` trees from libyaml's events, refusing what a hand-edited file or a hostile one gets wrong with
/// a message that names the line: a tab in the indentation, a key given twice, a syntax error, text that is not
/// UTF-8, and alias bombs.
///
/// libyaml does the YAML (scanning, quoting, escapes, block and flow styles); this type only assembles its events.
/// Aliases are bounded because they multiply: nine aliases of nine aliases of … ("billion laughs") is a few hundred
/// bytes that a reader walking the tree would expand into billions of nodes. Every alias adds the size of the tree
/// it repeats to the document's count, and a document past `Limits.maxNodes` is refused at the alias that crosses
/// it, before anything walks it. Nesting is bounded too, so no reader recurses without end.
public struct YAMLComposer: Sendable {
    /// How large a document may be once its aliases are expanded, and how deep it may nest.
    public struct Limits: Sendable {
        /// Nodes in the document with every alias expanded (a configuration has a few hundred; a catalog a thousand).
        public var maxNodes: Int
        /// Mappings and sequences inside one another (a configuration uses five levels).
        public var maxDepth: Int

        public init(maxNodes: Int = 100_000, maxDepth: Int = 64) {
            self.maxNodes = maxNodes
            self.maxDepth = maxDepth
        }
    }

    let limits: Limits

    public init(limits: Limits = .init()) {
        self.limits = limits
    }

    /// The one document in the UTF-8 `bytes`, or nil when there is none.
    public func compose(_ bytes: [UInt8]) throws(YAMLError) -> YAMLNode? {
        if let line = Self.firstTabIndentedLine(bytes) {
            throw YAMLError(line: line, column: nil, "a tab in the indentation; YAML indents with spaces only")
        }
        guard !bytes.isEmpty else { return nil }
        // libyaml keeps pointers to its input and into the parser itself between calls, so both live at fixed
        // addresses for the whole parse.
        let input = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count)
        _ = input.initialize(from: bytes)
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        parser.initialize(to: yaml_parser_t())
        defer {
            yaml_parser_delete(parser)
            parser.deinitialize(count: 1)
            parser.deallocate()
            input.deallocate()
        }
        guard yaml_parser_initialize(parser) == 1 else { throw YAMLError(line: 1, column: nil, "out of memory") }
        yaml_parser_set_input_string(parser, input.baseAddress, input.count)
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        var assembly = Assembly(limits: limits)
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(parser, &event) == 1 else { throw Self.error(parser.pointee, input: UnsafeBufferPointer(input)) }
            defer { yaml_event_delete(&event) }
            if try assembly.take(event) { return assembly.root }
        }
    }

    /// The 1-based number of the first line whose leading whitespace holds a tab, ignoring blank and comment lines.
    /// libyaml's own word for it ("found character that cannot start any token") does not say what to change.
    static func firstTabIndentedLine(_ bytes: [UInt8]) -> Int? {
        var line = 1
        var index = 0
        while index < bytes.count {
            var sawTab = false
            while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") {
                sawTab = sawTab || bytes[index] == UInt8(ascii: "\t")
                index += 1
            }
            if sawTab, index < bytes.count, bytes[index] != UInt8(ascii: "\n"), bytes[index] != UInt8(ascii: "#") { return line }
            while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
            index += 1
            line += 1
        }
        return nil
    }

    private static func error(_ parser: yaml_parser_t, input: UnsafeBufferPointer<UInt8>) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown problem"
        switch parser.error {
        case YAML_MEMORY_ERROR:
            return YAMLError(line: 1, column: nil, "out of memory")
        case YAML_READER_ERROR:
            // Reader errors carry a byte offset, not a line.
            let (line, column) = position(ofByte: parser.problem_offset, in: input)
            return YAMLError(line: line, column: column, problem.contains("UTF-8") ? "not UTF-8 text (\(problem))" : "not valid YAML: \(problem)")
        default:
            return YAMLError(line: parser.problem_mark.line + 1, column: parser.problem_mark.column + 1, "not valid YAML: \(problem)")
        }
    }

    /// 1-based line and column (in characters, counting each UTF-8 sequence once) of byte `offset`.
    private static func position(ofByte offset: Int, in input: UnsafeBufferPointer<UInt8>) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for byte in input.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }
}

/// The tree under construction: the collections still open, the anchors seen so far and the running node count.
private struct Assembly {
    /// A mapping or sequence whose end event has not come yet.
    struct Frame {
        let isMapping: Bool
        let line: Int
        let column: Int
        let anchor: String?
        var items: [YAMLNode] = []
        var pairs: [YAMLPair] = []
        var pendingKey: YAMLNode?
        /// Each key's line, to name both lines of a key given twice.
        var keyLines: [String: Int] = [:]
        var weight = 1
    }

    let limits: YAMLComposer.Limits
    var stack: [Frame] = []
    var anchors: [String: YAMLNode] = [:]
    var expandedNodes = 0
    var documents = 0
    var root: YAMLNode?

    init(limits: YAMLComposer.Limits) {
        self.limits = limits
    }

    /// Adds one event to the tree; true at the end of the stream.
    mutating func take(_ event: yaml_event_t) throws(YAMLError) -> Bool {
        let line = event.start_mark.line + 1
        let column = event.start_mark.column + 1
        switch event.type {
        case YAML_STREAM_END_EVENT:
            return true
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 { throw YAMLError(line: line, column: nil, "a second document (after `---`); the file holds exactly one") }
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: data.value, count: data.length), as: UTF8.self)
            let scalar = YAMLScalar(text: text, style: Self.style(data.style), tag: data.tag.map { String(cString: $0) })
            try count(1, line: line, column: column)
            try finish(YAMLNode(kind: .scalar(scalar), line: line, column: column, weight: 1), anchor: data.anchor.map { String(cString: $0) })
        case YAML_SEQUENCE_START_EVENT:
            try open(isMapping: false, anchor: event.data.sequence_start.anchor.map { String(cString: $0) }, line: line, column: column)
        case YAML_MAPPING_START_EVENT:
            try open(isMapping: true, anchor: event.data.mapping_start.anchor.map { String(cString: $0) }, line: line, column: column)
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let frame = stack.popLast() else { break }
            let kind: YAMLNode.Kind = frame.isMapping ? .mapping(frame.pairs) : .sequence(frame.items)
            try finish(YAMLNode(kind: kind, line: frame.line, column: frame.column, weight: frame.weight), anchor: frame.anchor)
        case YAML_ALIAS_EVENT:
            let name = String(cString: event.data.alias.anchor)
            guard let target = anchors[name] else {
                if stack.contains(where: { $0.anchor == name }) {
                    throw YAMLError(line: line, column: column, "the alias *\(name) is inside the node it names, which would never end")
                }
                throw YAMLError(line: line, column: column, "the alias *\(name) names no anchor &\(name) defined before it")
            }
            try count(target.weight, line: line, column: column, alias: name)
            try finish(YAMLNode(kind: target.kind, line: line, column: column, weight: target.weight), anchor: nil)
        default:
            break
        }
        return false
    }

    private mutating func open(isMapping: Bool, anchor: String?, line: Int, column: Int) throws(YAMLError) {
        guard stack.count < limits.maxDepth else {
            throw YAMLError(line: line, column: column, "nested deeper than \(limits.maxDepth) levels")
        }
        try count(1, line: line, column: column)
        stack.append(Frame(isMapping: isMapping, line: line, column: column, anchor: anchor))
    }

    private mutating func count(_ nodes: Int, line: Int, column: Int, alias: String? = nil) throws(YAMLError) {
        expandedNodes += nodes
        guard expandedNodes > limits.maxNodes else { return }
        if let alias {
            throw YAMLError(
                line: line, column: column,
                "the alias *\(alias) repeats \(nodes) nodes, taking the document past \(limits.maxNodes) once aliases are expanded")
        }
        throw YAMLError(line: line, column: column, "the document has more than \(limits.maxNodes) nodes")
    }

    /// Places a completed node: as the root, a sequence item, a mapping key (checked against the keys before it) or
    /// the value of the key before it.
    private mutating func finish(_ node: YAMLNode, anchor: String?) throws(YAMLError) {
        if let anchor { anchors[anchor] = node }
        let top = stack.count - 1
        guard top >= 0 else {
            root = node
            return
        }
        stack[top].weight += node.weight
        guard stack[top].isMapping else {
            stack[top].items.append(node)
            return
        }
        if let key = stack[top].pendingKey {
            stack[top].pairs.append(YAMLPair(key: key, value: node))
            stack[top].pendingKey = nil
            return
        }
        if let name = node.scalar?.text {
            if let first = stack[top].keyLines[name] {
                let place = first == node.line ? "line \(first)" : "lines \(first) and \(node.line)"
                throw YAMLError(line: node.line, description: "\(place): the key `\(name)` is given twice in one section; keep one")
            }
            stack[top].keyLines[name] = node.line
        }
        stack[top].pendingKey = node
    }

    private static func style(_ style: yaml_scalar_style_t) -> YAMLScalar.Style {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: .literal
        case YAML_FOLDED_SCALAR_STYLE: .folded
        default: .plain
        }
    }
}
