import Foundation
import Testing
import VigilTestSupport

@testable import BotHub
@testable import Shared

@Suite("Message catalogs", .serialized, .system)
struct MessageCatalogTests {
    static func repositoryPath(_ relative: String, filePath: String = #filePath) -> String {
        URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(relative).path
    }

    static func shippedCatalogs() throws -> [MessageCatalog] {
        let directory = repositoryPath("translations")
        return try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix("bot.") && $0.hasSuffix(".yml") }.sorted()
            .map { file in
                try MessageCatalog.parse(
                    yaml: try String(contentsOfFile: "\(directory)/\(file)", encoding: .utf8),
                    language: String(file.dropFirst(4).dropLast(4))
                )
            }
    }

    @Test("English and Spanish ship")
    func languages() throws {
        #expect(try Self.shippedCatalogs().map(\.language) == ["en", "es"])
    }

    @Test("every catalog has exactly the keys the code uses")
    func keysMatchCode() throws {
        let expected = Set(MessageKey.allCases.flatMap(\.catalogKeys))
        for catalog in try Self.shippedCatalogs() {
            let keys = Set(catalog.templates.keys)
            #expect(expected.subtracting(keys).isEmpty, "bot.\(catalog.language).yml lacks \(expected.subtracting(keys).sorted())")
            #expect(keys.subtracting(expected).isEmpty, "bot.\(catalog.language).yml has unused \(keys.subtracting(expected).sorted())")
        }
    }

    @Test("every catalog uses the same placeholders as English for each key")
    func placeholdersMatch() throws {
        let catalogs = try Self.shippedCatalogs()
        let english = try #require(catalogs.first { $0.language == "en" })
        for catalog in catalogs {
            for (key, template) in english.templates {
                let theirs = catalog.templates[key].map(MessageCatalog.placeholders) ?? []
                #expect(Set(theirs) == Set(MessageCatalog.placeholders(in: template)), "bot.\(catalog.language).yml \(key)")
            }
        }
    }

    @Test("every message key is referenced somewhere in the programs' sources")
    func everyKeyIsUsed() throws {
        let sources = Self.repositoryPath("Sources")
        var text = ""
        let enumerator = FileManager.default.enumerator(atPath: sources)
        while let file = enumerator?.nextObject() as? String {
            guard file.hasSuffix(".swift"), !file.hasSuffix("MessageKey.swift") else { continue }
            text += try String(contentsOfFile: "\(sources)/\(file)", encoding: .utf8)
        }
        for key in MessageKey.allCases {
            #expect(text.contains(".\(key)"), "MessageKey.\(key) is never used")
        }
    }

    @Test("values are HTML-escaped and a missing key falls back to English")
    func escapingAndFallback() {
        let catalogs = MessageCatalogs([
            MessageCatalog(language: "en", templates: ["alert.observed_at": "at <i>%{time}</i>", "evidence.agent": "%{detail}"]),
            MessageCatalog(language: "es", templates: ["evidence.agent": "¡%{detail}!"]),
        ])
        #expect(catalogs.text(.alertObservedAt, language: "es", ["time": "<script>&"]) == "at <i>&lt;script&gt;&amp;</i>")
        #expect(catalogs.text(.evidenceAgent, language: "es", ["detail": "\"x\""]) == "¡&quot;x&quot;!")
        #expect(catalogs.text(.evidenceAgent, language: "fr", ["detail": "x"]) == "x")
    }

    @Test("a counted phrase takes its one or other form by the count, falling back to other and to English")
    func plurals() {
        let catalogs = MessageCatalogs([
            MessageCatalog(
                language: "en",
                templates: [
                    "plural.addresses.one": "%{count} address", "plural.addresses.other": "%{count} addresses", "plural.times.other": "%{count}×",
                ]),
            MessageCatalog(
                language: "es", templates: ["plural.addresses.one": "%{count} dirección", "plural.addresses.other": "%{count} direcciones"]),
        ])
        #expect(catalogs.text(.pluralAddresses, language: "en", count: 1) == "1 address")
        #expect(catalogs.text(.pluralAddresses, language: "en", count: 2) == "2 addresses")
        #expect(catalogs.text(.pluralAddresses, language: "en", count: 0) == "0 addresses")
        #expect(catalogs.text(.pluralAddresses, language: "es", count: 1) == "1 dirección")
        #expect(catalogs.text(.pluralAddresses, language: "es", count: 7) == "7 direcciones")
        // A language without the key falls back to English; a missing `one` form falls back to `other`.
        #expect(catalogs.text(.pluralTimes, language: "es", count: 1) == "1×")
    }

    @Test("every plural key has each form in every shipped catalog, and the forms use %{count}")
    func pluralFormsShip() throws {
        for catalog in try Self.shippedCatalogs() {
            for key in MessageKey.allCases where key.isPlural {
                for name in key.catalogKeys {
                    let template = try #require(catalog.templates[name], "bot.\(catalog.language).yml lacks \(name)")
                    #expect(MessageCatalog.placeholders(in: template).contains("count"), "bot.\(catalog.language).yml \(name)")
                }
            }
        }
    }

    @Test("the shipped translations directory loads")
    func loadsDirectory() throws {
        let catalogs = try MessageCatalogs.load(directory: Self.repositoryPath("translations"))
        #expect(catalogs.languages == ["en", "es"])
        #expect(throws: ConfigError.self) { try MessageCatalogs.load(directory: "/nonexistent") }
    }

    @Test("the catalogs built into the program are exactly the files in translations/")
    func builtInEqualsFiles() throws {
        let directory = Self.repositoryPath("translations")
        var files: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasPrefix("bot.") && name.hasSuffix(".yml") {
            files[name] = try String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8)
        }
        #expect(!files.isEmpty)
        #expect(MessageCatalogs.builtInFiles == files)
        #expect(try MessageCatalogs.builtIn().languages == MessageCatalogs.load(directory: directory).languages)
    }

    @Test("a catalog whose aliases would flatten into billions of keys is refused, naming its file and line")
    func catalogBomb() throws {
        let clock = ContinuousClock()
        var problems: [String] = []
        let elapsed = clock.measure {
            do {
                _ = try MessageCatalog.parse(yaml: BillionLaughs.document(asMapping: true), language: "en")
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
}
