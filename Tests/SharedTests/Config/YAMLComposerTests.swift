import Foundation
import Testing
import VigilTestSupport

@testable import Shared

/// libyaml's events assembled into nodes: the limits that keep a small hostile file small, and the mistakes a
/// hand-edited file makes, each named with its line.
@Suite("YAML composer")
struct YAMLComposerTests {
    static let key = AgentKey.generate().base64

    func failure(_ text: String) -> String? {
        do {
            _ = try YAMLNode.parse(text)
            return nil
        } catch {
            return error.description
        }
    }

    /// Ten levels of nine aliases of the level before: under a kilobyte of text, 3.8 billion nodes once expanded.
    @Test("a billion-laughs file is refused at the alias that crosses the node budget, within milliseconds")
    func billionLaughs() throws {
        let clock = ContinuousClock()
        var found: String?
        let elapsed = clock.measure { found = failure(BillionLaughs.document(asMapping: false)) }
        let message = try #require(found)
        // l4 is 66,430 nodes; its first repetition inside l5 takes the count past 100,000.
        #expect(message.hasPrefix("line 6, column 10: the alias *l4 repeats 66430 nodes"), "\(message)")
        #expect(message.hasSuffix("past 100000 once aliases are expanded"))
        print("billion laughs refused in \(elapsed)")
        // Expanding it would take hours; refusing it takes microseconds. The bound leaves room for a loaded machine.
        #expect(elapsed < .seconds(1))
    }

    @Test("nesting is bounded: 64 levels read, the 65th is refused where it opens")
    func deepNesting() throws {
        let inside = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(try YAMLNode.parse(inside) != nil)
        let clock = ContinuousClock()
        var found: String?
        let elapsed = clock.measure { found = failure(String(repeating: "[", count: 1_000_000)) }
        #expect(found == "line 1, column 65: nested deeper than 64 levels")
        #expect(elapsed < .seconds(1))
    }

    @Test("an alias without its anchor, or inside the node it names, is refused with its line")
    func badAliases() {
        #expect(failure("a: 1\nb: *nowhere\n") == "line 2, column 4: the alias *nowhere names no anchor &nowhere defined before it")
        #expect(failure("a: &loop [1, *loop]\n") == "line 1, column 14: the alias *loop is inside the node it names, which would never end")
    }

    @Test("text that is not UTF-8 is refused with the line and column of the first bad byte")
    func invalidUTF8() {
        var bytes = Array("agent:\n  id: a".utf8)
        bytes += [0xFF] + Array("1\n".utf8)
        var found: String?
        do {
            _ = try YAMLNode.parse(bytes: bytes)
        } catch {
            found = error.description
        }
        #expect(found?.hasPrefix("line 2, column 8: not UTF-8 text (") == true, "\(found ?? "parsed")")
    }

    @Test("a second document is refused: a configuration file holds exactly one")
    func secondDocument() {
        #expect(failure("agent: {id: a1}\n---\nagent: {id: a2}\n") == "line 2: a second document (after `---`); the file holds exactly one")
        #expect(failure("---\nagent: {id: a1}\n...\n") == nil)
    }

    @Test("a key given twice is found at any depth, also when quoted differently or on one line")
    func duplicateKeys() {
        #expect(failure("list:\n  - name: a\n    'name': b\n") == "lines 2 and 3: the key `name` is given twice in one section; keep one")
        #expect(failure("a: {x: 1, \"x\": 2}\n") == "line 1: the key `x` is given twice in one section; keep one")
        #expect(failure("a: {x: 1}\nb: {x: 2}\n") == nil)
    }

    @Test("a tab is refused in the indentation, with its line; inside a value or a comment it is text")
    func tabs() {
        #expect(failure("a:\n  \tb: 1\n") == "line 2: a tab in the indentation; YAML indents with spaces only")
        #expect(failure("a:\n  b: \"x\\ty\"\n  c: x\ty\n# a\tcomment\n") == nil)
    }

    @Test("a syntax error names libyaml's problem at its line and column, without the document's text")
    func syntaxError() {
        let found = failure("key: \"\(Self.key)\"\nlist: [unclosed\n")
        #expect(found?.hasPrefix("line 3, column 1: not valid YAML: did not find expected ',' or ']'") == true, "\(found ?? "parsed")")
        #expect(found?.contains(Self.key) == false)
    }

    @Test("every node carries its line and column, mapping pairs keep file order, and empty input is no document")
    func positions() throws {
        let root = try #require(try YAMLNode.parse("# comment\nb: 1\na:\n  - x\n  - {y: z}\n"))
        guard case .mapping(let pairs) = root.kind else {
            Issue.record("not a mapping: \(root)")
            return
        }
        #expect(pairs.map { $0.key.scalar?.text } == ["b", "a"])
        #expect(root.line == 2 && root.column == 1)
        #expect(pairs[1].key.line == 3 && pairs[1].key.column == 1)
        guard case .sequence(let items) = pairs[1].value.kind else {
            Issue.record("not a sequence")
            return
        }
        #expect(items[1].line == 5 && items[1].column == 5)
        #expect(items[1]["y"]?.scalar == YAMLScalar(text: "z"))
        #expect(try YAMLNode.parse("") == nil)
        #expect(try YAMLNode.parse("# only a comment\n") == nil)
    }

    @Test("every example configuration in config/ is a YAML mapping (each program's tests read its own through its reader)")
    func examples() throws {
        let directory = BootUnitTests.repositoryFile("config")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".example.yml") }.sorted()
        #expect(names.contains("agent.example.yml") && names.contains("hub.example.yml"))
        for name in names {
            let text = try String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8)
            guard case .mapping? = try YAMLNode.parse(text)?.kind else {
                Issue.record("\(name) is not a mapping")
                continue
            }
        }
    }
}
