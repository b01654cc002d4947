import Foundation

/// Content for tests: a few topics, `articleCount` articles in Burmese and
/// English, contacts and agencies, as JSON objects that a test can edit
/// before writing them out as a content directory.
struct ContentFixture {
    var topics: [[String: Any]]
    var articles: [[String: Any]]
    var contacts: [[String: Any]]
    var agencies: [[String: Any]]

    init(articleCount: Int = 100, agencyCount: Int = 20) {
        topics = ["preparing", "contracts", "help"].enumerated().map { index, id in
            [
                "id": id, "position": index + 1,
                "title": ["my": "ခေါင်းစဉ် \(index + 1)", "en": "Topic \(id)"],
            ]
        }
        articles = (0..<articleCount).map { index in
            [
                "id": "article-\(index)",
                "topic": ["preparing", "contracts", "help"][index % 3],
                "title": ["my": "ဆောင်းပါး \(index)", "en": "Article \(index)"],
                "summary": [
                    "my": "အကျဉ်းချုပ် \(index)", "en": "Summary of article \(index).",
                ],
                "body": [
                    "my": String(
                        repeating: "လုပ်ငန်းခွင် လုံခြုံရေး အချက်အလက် \(index)။ ", count: 20),
                    "en": String(
                        repeating: "Keep a copy of your contract and passport, item \(index). ",
                        count: 20),
                ],
                "updated": "2026-11-01",
                "sample": true,
            ]
        }
        contacts = [
            [
                "id": "hotline-th", "kind": "hotline", "country": "TH",
                "name": ["my": "အကူအညီ ဖုန်း", "en": "Help line"],
                "phones": ["1506"], "sample": true,
            ],
        ]
        agencies = (0..<agencyCount).map { index in
            [
                "id": "agency-\(index)",
                "name": ["en": "Sample Agency \(index)"],
                "licence_number": "LIC-\(1000 + index)",
                "status": index % 10 == 0 ? "suspended" : "licensed",
                "status_since": "2025-06-01",
                "destinations": ["TH", "MY"],
                "sample": true,
            ]
        }
    }

    /// Changes the English body of article `index`, as an editor would.
    mutating func reviseArticle(_ index: Int, note: String) {
        var body = articles[index]["body"] as! [String: String]
        body["en"] = (body["en"] ?? "") + " " + note
        articles[index]["body"] = body
    }

    /// Writes the four JSON files into a new directory.
    @discardableResult
    func write(to directory: URL) throws -> URL {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let files: [(String, [[String: Any]])] = [
            ("topics.json", topics), ("articles.json", articles),
            ("contacts.json", contacts), ("agencies.json", agencies),
        ]
        for (name, records) in files {
            let data = try JSONSerialization.data(withJSONObject: records, options: [.sortedKeys])
            try data.write(to: directory.appendingPathComponent(name))
        }
        return directory
    }
}
