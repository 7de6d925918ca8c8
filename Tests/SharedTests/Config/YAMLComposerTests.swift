import Foundation
import Testing

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
    static func laughs(asMapping: Bool) -> String {
        var text =
            asMapping
            ? "l0: &l0 {a: lol, b: lol, c: lol, d: lol, e: lol, f: lol, g: lol, h: lol, i: lol}\n"
            : "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            let aliases = "abcdefghi".map { asMapping ? "\($0): *l\(level - 1)" : "*l\(level - 1)" }.joined(separator: ", ")
            text += asMapping ? "l\(level): &l\(level) {\(aliases)}\n" : "l\(level): &l\(level) [\(aliases)]\n"
        }
        return text
    }

    @Test("a billion-laughs file is refused at the alias that crosses the node budget, within milliseconds")
    func billionLaughs() throws {
        let clock = ContinuousClock()
        var found: String?
        let elapsed = clock.measure { found = failure(Self.laughs(asMapping: false)) }
        let message = try #require(found)
        // l4 is 66,430 nodes; its first repetition inside l5 takes the count past 100,000.
        #expect(message.hasPrefix("line 6, column 10: the alias *l4 repeats 66430 nodes"), "\(message)")
        #expect(message.hasSuffix("past 100000 once aliases are expanded"))
        print("billion laughs refused in \(elapsed)")
        // Expanding it would take hours; refusing it takes microseconds. The bound leaves room for a loaded machine.
        #expect(elapsed < .seconds(1))
    }

    @Test("a catalog whose aliases would flatten into billions of keys is refused, naming its file and line")
    func catalogBomb() throws {
        let clock = ContinuousClock()
        var problems: [String] = []
        let elapsed = clock.measure {
            do {
                _ = try MessageCatalog.parse(yaml: Self.laughs(asMapping: true), language: "en")
            } catch let error as ConfigError {
                problems = error.problems.map(\.description)
            } catch {
                problems = ["unexpected \(error)"]
            }
        }
        #expect(problems.count == 1)
        // Mappings grow faster (a key per alias): l4 crosses 100,000 on its own, at its sixth repetition of l3.
        #expect(problems.first?.hasPrefix("bot.en.yml: line 5, column 53: the alias *l3 repeats 14761 nodes") == true, "\(problems)")
        print("catalog alias bomb refused in \(elapsed)")
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

    @Test("anchors and aliases written on purpose still work in a configuration")
    func legitimateAnchors() throws {
        let yaml = """
            agent: {id: a1}
            hub: {url: "http://hub:7070", key: "\(Self.key)"}
            detectors:
              cpu: {window: &window 10m, interval: 30s}
              http404:
                window: *window
                paths: &logs [/var/log/nginx/access.log, /var/log/nginx/other.log]
              ssh: {enabled: false, paths: *logs}
            """
        let configuration = try AgentConfiguration.parse(yaml: yaml, environment: [:])
        #expect(configuration.detectors.cpu.window == .seconds(600))
        #expect(configuration.detectors.http404.window == .seconds(600))
        #expect(configuration.detectors.ssh.paths == ["/var/log/nginx/access.log", "/var/log/nginx/other.log"])
        #expect(configuration.detectors.http404.paths == configuration.detectors.ssh.paths)
    }

    @Test("an alias without its anchor, or inside the node it names, is refused with its line")
    func badAliases() {
        #expect(failure("a: 1\nb: *nowhere\n") == "line 2, column 4: the alias *nowhere names no anchor &nowhere defined before it")
        #expect(failure("a: &loop [1, *loop]\n") == "line 1, column 14: the alias *loop is inside the node it names, which would never end")
    }

    @Test("YAML 1.1's merge key is named as unsupported, not as an unknown field")
    func mergeKey() {
        let yaml =
            "agent: {id: a1}\nhub: {url: 'http://hub:7070', key: \"\(Self.key)\"}\ncpu_defaults: &cpu {window: 10m}\n"
            + "detectors:\n  cpu:\n    <<: *cpu\n"
        var found: [String] = []
        do {
            _ = try AgentConfiguration.parse(yaml: yaml, environment: [:])
        } catch let error as ConfigError {
            found = error.problems.map(\.description)
        } catch {
            found = ["unexpected \(error)"]
        }
        #expect(found.contains { $0.hasPrefix("detectors.cpu.<<: merge keys (`<<: *anchor`) are not supported") }, "\(found)")
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

    @Test("every example configuration in config/ parses, and the agent's and hub's through their readers")
    func examples() throws {
        let directory = ConfigurationTests.repositoryFile("config")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".example.yml") }.sorted()
        #expect(names.contains("agent.example.yml") && names.contains("hub.example.yml"))
        for name in names {
            let text = try String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8)
            guard case .mapping? = try YAMLNode.parse(text)?.kind else {
                Issue.record("\(name) is not a mapping")
                continue
            }
        }
        let environment = ["VIGIL_AGENT_KEY": Self.key, "VIGIL_BOT_TOKEN": ConfigurationTests.token, "VIGIL_WEB1_KEY": Self.key]
        _ = try AgentConfiguration.load(path: "\(directory)/agent.example.yml", environment: environment)
        _ = try HubConfiguration.load(path: "\(directory)/hub.example.yml", environment: environment)
        _ = try DetectorsConfiguration.parse(yaml: String(contentsOfFile: "\(directory)/agent.example.yml", encoding: .utf8))
        _ = try ResponsesConfiguration.load(fromAgentConfiguration: "\(directory)/agent.example.yml")
    }
}
