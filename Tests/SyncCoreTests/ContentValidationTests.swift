import Foundation
import Testing
@testable import SyncCore

@Suite("Validating content before publication")
struct ContentValidationTests {
    private func problems(_ edit: (inout ContentFixture) -> Void) throws -> String {
        let scratch = try Scratch()
        var content = ContentFixture(articleCount: 5, agencyCount: 3)
        edit(&content)
        let directory = try content.write(to: scratch.path("content"))
        let error = try #require(throws: SyncError.self) { try ContentSet.load(from: directory) }
        #expect(error.code == .invalidContent)
        return error.message
    }

    @Test("valid content loads with every record")
    func validContent() throws {
        let scratch = try Scratch()
        let directory = try ContentFixture(articleCount: 5, agencyCount: 3)
            .write(to: scratch.path("content"))
        let set = try ContentSet.load(from: directory)
        #expect(set.recordCounts == ["topic": 3, "article": 5, "contact": 1, "agency": 3])
    }

    @Test("a duplicate id names the file, the record and the field")
    func duplicateID() throws {
        let message = try problems { $0.articles[3]["id"] = "article-1" }
        #expect(message.contains("articles.json, record 4 (id \"article-1\"), field \"id\""))
    }

    @Test("a missing Burmese text is reported")
    func missingLanguage() throws {
        let message = try problems { $0.articles[2]["title"] = ["en": "Only English"] }
        #expect(message.contains("articles.json, record 3 (id \"article-2\"), field \"title\""))
        #expect(message.contains("Burmese (my) text is missing"))
    }

    @Test("broken JSON names the file and where it breaks", arguments: [
        ("[{\"id\": \"x\",", "agencies.json, the file ends in the middle"),
        ("[\n  {\"id\": \"x\",\n   \"name\" \"Ko\"}\n]", "agencies.json, line 3, column 11:"),
        ("[\n\"a\u{1}b\"]", "agencies.json, line 2, column 3: unescaped control character"),
        // Columns count code points, not the 18 bytes of the Burmese word.
        ("[\n {\"name\": \"မြန်မာ\" \"x\"}]", "agencies.json, line 2, column 20:"),
    ])
    func brokenJSON(text: String, expected: String) throws {
        try brokenJSON(bytes: Data(text.utf8), expected: expected)
    }

    @Test("a byte that is not UTF-8 is located")
    func notUTF8() throws {
        try brokenJSON(
            bytes: Data("[\n {\"name\": \"ab".utf8) + Data([0xff]) + Data("\"}]".utf8),
            expected: "agencies.json, line 2, column 14: not UTF-8 text")
    }

    private func brokenJSON(bytes: Data, expected: String) throws {
        let scratch = try Scratch()
        let directory = try ContentFixture(articleCount: 2).write(to: scratch.path("content"))
        try bytes.write(to: directory.appendingPathComponent("agencies.json"))
        let error = try #require(throws: SyncError.self) { try ContentSet.load(from: directory) }
        #expect(error.code == .invalidContent)
        #expect(error.message.contains(expected), "\(error.message)")
    }

    @Test("an unknown field, a bad status and a bad date are each reported")
    func severalProblems() throws {
        let message = try problems {
            $0.agencies[0]["licence_no"] = "X"
            $0.agencies[1]["status"] = "closed"
            $0.agencies[2]["status_since"] = "2025-02-30"
        }
        #expect(message.contains("3 problem(s)"))
        #expect(message.contains("unknown field \"licence_no\""))
        #expect(message.contains("field \"status\": must be one of"))
        #expect(message.contains("field \"status_since\": must be a date"))
    }

    @Test("an article in a topic that does not exist")
    func unknownTopic() throws {
        let message = try problems { $0.articles[0]["topic"] = "nowhere" }
        #expect(message.contains("there is no topic \"nowhere\""))
    }

    @Test("a record presented as fact must name a source listed in SOURCES.md")
    func factNeedsSource() throws {
        let message = try problems {
            $0.contacts[0]["sample"] = false
            $0.contacts.append([
                "id": "ministry", "kind": "ministry", "country": "MM",
                "name": ["my": "ဝန်ကြီးဌာန", "en": "Ministry"], "phones": [],
                "sample": false, "source": "S99",
            ])
        }
        #expect(message.contains("\"sample\": false must name its source"))
        #expect(message.contains("\"S99\" is not listed in SOURCES.md"))
    }

    @Test("a missing file is reported")
    func missingFile() throws {
        let scratch = try Scratch()
        let directory = try ContentFixture(articleCount: 2).write(to: scratch.path("content"))
        try FileManager.default.removeItem(at: directory.appendingPathComponent("contacts.json"))
        let error = try #require(throws: SyncError.self) { try ContentSet.load(from: directory) }
        #expect(error.message.contains("contacts.json: the file is missing"))
    }

    private func problems(inRawFile name: String, _ text: String) throws -> String {
        let scratch = try Scratch()
        let directory = try ContentFixture(articleCount: 2, agencyCount: 2)
            .write(to: scratch.path("content"))
        try Data(text.utf8).write(to: directory.appendingPathComponent(name))
        let error = try #require(throws: SyncError.self) { try ContentSet.load(from: directory) }
        return error.message
    }

    @Test("a field given twice in one record is an error, with its line")
    func duplicateField() throws {
        let message = try problems(inRawFile: "topics.json", """
            [{"id": "a", "position": 1,
              "title": {"my": "က", "en": "A"}, "position": 2}]
            """)
        #expect(message.contains("topics.json, line 2"))
        #expect(message.contains("\"position\" appears twice"))
    }

    @Test("the same key in different records or nested objects is fine")
    func sameKeyElsewhere() throws {
        #expect(StrictJSONCheck.firstProblem(in: Data("""
            [{"id": "a", "t": {"id": "b"}}, {"id": "c", "l": ["id", "id"]}]
            """.utf8)) == nil)
        #expect(StrictJSONCheck.firstProblem(in: Data(#"[{"a\"b": 1, "a\u0022b": 2}]"#.utf8)) != nil)
    }

    @Test("a comma before a closing bracket is an error")
    func trailingComma() throws {
        let message = try problems(inRawFile: "topics.json", """
            [{"id": "a", "position": 1, "title": {"my": "က", "en": "A"},}]
            """)
        #expect(message.contains("comma before the closing bracket"))
    }

    @Test("control characters in a text are refused")
    func controlCharacters() throws {
        let message = try problems { $0.articles[0]["title"] = ["my": "က", "en": "A\u{0}B"] }
        #expect(message.contains("control characters"))
    }

    @Test("a source must be listed in SOURCES.md on sample records too")
    func sourceOnSampleRecord() throws {
        let message = try problems { $0.agencies[0]["source"] = "S42" }
        #expect(message.contains("\"S42\" is not listed"))
    }

    @Test("record numbers count every record, also the ones with problems")
    func recordNumbers() throws {
        let message = try problems {
            $0.articles[0]["updated"] = "yesterday"
            $0.articles[1]["topic"] = "nowhere"
        }
        #expect(message.contains("record 2 (id \"article-1\"), field \"topic\""))
    }

    @Test("Burmese text in Zawgyi is refused, Unicode Burmese is not")
    func zawgyiRefused() throws {
        // "မြန်မာ" typed with the Zawgyi encoding: medial ra before the consonant.
        let message = try problems {
            let zawgyi = "\u{107E}\u{1019}\u{1014}\u{1039}\u{1019}\u{102C}"
            $0.articles[1]["title"] = ["my": zawgyi, "en": "Myanmar"]
        }
        #expect(message.contains("record 2 (id \"article-1\"), field \"title\""))
        #expect(message.contains("looks like Zawgyi"))
    }
}
