import Foundation

/// The central office's content, read from a directory of JSON files and
/// checked record by record, ready to be written into a release database.
public struct ContentSet: Sendable {
    /// Rows per table, as column name → value.
    private(set) var rows: [String: [[String: SQLiteValue]]] = [:]

    /// How many records of each kind, e.g. ["article": 44].
    public var recordCounts: [String: Int] {
        var counts = [String: Int]()
        for kind in RecordKind.all { counts[kind.name] = rows[kind.table]?.count ?? 0 }
        return counts
    }

    /// Reads and validates every file of `directory`.
    ///
    /// - Throws: `SyncError(.invalidContent)` listing every problem found,
    ///   each naming the file, the record and the field.
    public static func load(from directory: URL) throws -> ContentSet {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory),
              isDirectory.boolValue
        else {
            throw SyncError(
                .invalidContent, "The content folder \(directory.path) does not exist.")
        }
        var problems = [String]()
        var set = ContentSet()
        let sourcesText = (try? String(
            contentsOf: directory.appendingPathComponent("SOURCES.md"), encoding: .utf8)) ?? ""
        var records = [String: [(number: Int, id: String, record: [String: JSONValue])]]()
        var cleanFiles = Set<String>()

        for kind in RecordKind.all {
            let url = directory.appendingPathComponent(kind.file)
            guard let data = try? Data(contentsOf: url) else {
                problems.append("\(kind.file): the file is missing or cannot be read.")
                continue
            }
            if let problem = StrictJSONCheck.firstProblem(in: data) {
                problems.append("\(kind.file), \(problem.description).")
                continue
            }
            let parsed: JSONValue
            do {
                parsed = try JSONDecoder().decode(JSONValue.self, from: data)
            } catch {
                let place = JSONSyntaxError.describe(data) ?? "not valid JSON (\(Self.describe(error)))"
                problems.append("\(kind.file), \(place).")
                continue
            }
            guard case .array(let items) = parsed else {
                problems.append("\(kind.file): the file must hold a list of records.")
                continue
            }
            var validator = RecordValidator(kind: kind, sourcesText: sourcesText)
            for (index, item) in items.enumerated() {
                if let row = validator.validate(item, index: index) {
                    set.rows[kind.table, default: []].append(row.columns)
                    set.rows["text", default: []] += row.texts
                    records[kind.name, default: []].append((index + 1, row.id, row.record))
                }
            }
            if validator.problems.isEmpty { cleanFiles.insert(kind.file) }
            problems += validator.problems
        }

        // A topic with its own problem would make every article in it look
        // wrong too; check references only against a clean topics.json.
        if cleanFiles.contains(RecordKind.topic.file) {
            let topics = Set((records["topic"] ?? []).map(\.id))
            for article in records["article"] ?? [] {
                if case .string(let topic) = article.record["topic"], !topics.contains(topic) {
                    problems.append(
                        "articles.json, record \(article.number) (id \"\(article.id)\"), field "
                            + "\"topic\": there is no topic \"\(topic)\" in topics.json.")
                }
            }
        }

        guard problems.isEmpty else {
            let shown = problems.prefix(50).joined(separator: "\n  ")
            let more = problems.count > 50 ? "\n  … and \(problems.count - 50) more" : ""
            throw SyncError(
                .invalidContent,
                "The content in \(directory.path) has \(problems.count) problem(s); "
                    + "nothing was published:\n  \(shown)\(more)")
        }
        return set
    }

    /// An acknowledgement of a query batch, published with the content.
    public struct Acknowledgement: Equatable, Sendable {
        public var centreID: String
        public var batchID: String
        public var receivedAt: String

        public init(centreID: String, batchID: String, receivedAt: String) {
            self.centreID = centreID
            self.batchID = batchID
            self.receivedAt = receivedAt
        }
    }

    /// Adds acknowledgements of received query batches to the release.
    public mutating func acknowledge(_ acknowledgements: [Acknowledgement]) {
        rows["acknowledgement", default: []] += acknowledgements.map {
            ["centre_id": .text($0.centreID), "batch_id": .text($0.batchID),
             "received_at": .text($0.receivedAt)]
        }
    }

    /// Creates the content schema in `database` and fills it.
    func write(into database: Database) throws {
        try database.writeTransaction {
            for statement in ContentSchema.statements { try database.execute(statement) }
            try insertRows(into: database)
        }
    }

    private func insertRows(into database: Database) throws {
        for (table, tableRows) in rows.sorted(by: { $0.key < $1.key }) {
            let columns = Set(tableRows.flatMap(\.keys)).sorted()
            guard !columns.isEmpty else { continue }
            let sql = "INSERT INTO \(quote(table)) (\(columns.map(quote).joined(separator: ", "))) "
                + "VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))"
            let statement = try database.prepare(sql)
            for row in tableRows {
                try statement.run(columns.map { row[$0] ?? .null })
            }
        }
    }

    private static func describe(_ error: Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            if let underlying = context.underlyingError as NSError?,
               let detail = underlying.userInfo[NSDebugDescriptionErrorKey] as? String
            {
                return detail
            }
            return context.debugDescription
        }
        return "\(error)"
    }
}

/// Checks the records of one file against their `RecordKind`, collecting
/// every problem rather than stopping at the first.
private struct RecordValidator {
    struct Row {
        let id: String
        let record: [String: JSONValue]
        let columns: [String: SQLiteValue]
        let texts: [[String: SQLiteValue]]
    }

    let kind: RecordKind
    let sourcesText: String
    var problems = [String]()
    private var seenIDs = Set<String>()

    init(kind: RecordKind, sourcesText: String) {
        self.kind = kind
        self.sourcesText = sourcesText
    }

    mutating func validate(_ item: JSONValue, index: Int) -> Row? {
        guard case .object(let record) = item else {
            problems.append("\(kind.file), record \(index + 1): must be an object, not \(item.typeName).")
            return nil
        }
        let id: String
        if case .string(let value) = record["id"] { id = value } else { id = "" }
        let label = id.isEmpty
            ? "\(kind.file), record \(index + 1)"
            : "\(kind.file), record \(index + 1) (id \"\(id)\")"
        let before = problems.count

        if !id.isEmpty {
            if seenIDs.contains(id) {
                problems.append("\(label), field \"id\": the id is used by an earlier record.")
            }
            seenIDs.insert(id)
        }
        let known = Set(kind.fields.map(\.name))
        for name in record.keys.sorted() where !known.contains(name) {
            problems.append("\(label): unknown field \"\(name)\".")
        }

        var columns = [String: SQLiteValue]()
        var texts = [[String: SQLiteValue]]()
        for field in kind.fields {
            guard let value = record[field.name], value != .null else {
                if field.required { problems.append("\(label), field \"\(field.name)\": missing.") }
                continue
            }
            let problem = { (text: String) in
                self.problems.append("\(label), field \"\(field.name)\": \(text)")
            }
            if case .localised(let requiredLanguages) = field.type {
                for (lang, text) in localised(value, required: requiredLanguages, problem) {
                    texts.append([
                        "kind": .text(kind.name), "record_id": .text(id),
                        "field": .text(field.name), "lang": .text(lang), "value": .text(text),
                    ])
                }
            } else if let column = field.column, let converted = convert(value, field.type, problem) {
                columns[column] = converted
            }
        }

        if case .string(let source) = record["source"], !mentions(source) {
            problems.append(
                "\(label), field \"source\": \"\(source)\" is not listed in SOURCES.md.")
        }
        if case .bool(false) = record["sample"] {
            if case .string = record["source"] {
            } else {
                problems.append(
                    "\(label), field \"source\": a record with \"sample\": false must name its "
                        + "source.")
            }
        }
        guard problems.count == before else { return nil }
        return Row(id: id, record: record, columns: columns, texts: texts)
    }

    private func convert(_ value: JSONValue, _ type: RecordKind.FieldType, _ problem: (String) -> Void)
        -> SQLiteValue?
    {
        switch (type, value) {
        case (.integer, .integer(let number)) where number >= 1:
            return .integer(number)
        case (.boolean, .bool(let flag)):
            return .integer(flag ? 1 : 0)
        case (.string, .string(let text)) where !trimmed(text).isEmpty && isPrintable(text):
            return .text(trimmed(text))
        case (.id, .string(let text)) where Naming.isValidName(text):
            return .text(text)
        case (.date, .string(let text)) where isDate(text):
            return .text(text)
        case (.country, .string(let text)) where isCountry(text):
            return .text(text)
        case (.enumeration(let allowed), .string(let text)) where allowed.contains(text):
            return .text(text)
        case (.strings, .array(let items)):
            let strings = items.compactMap { item -> String? in
                if case .string(let text) = item, !trimmed(text).isEmpty { return trimmed(text) }
                return nil
            }
            guard strings.count == items.count else {
                problem("every entry must be a non-empty string.")
                return nil
            }
            return .text(jsonArray(strings))
        case (.countries, .array(let items)):
            let codes = items.compactMap { item -> String? in
                if case .string(let text) = item, isCountry(text) { return text }
                return nil
            }
            guard codes.count == items.count else {
                problem("every entry must be a two-letter country code such as \"TH\".")
                return nil
            }
            return .text(jsonArray(codes))
        default:
            problem(expectation(type, got: value))
            return nil
        }
    }

    private func localised(_ value: JSONValue, required: [String], _ problem: (String) -> Void)
        -> [(String, String)]
    {
        guard case .object(let members) = value else {
            problem("must be an object of languages such as {\"my\": \"…\", \"en\": \"…\"}.")
            return []
        }
        var texts = [(String, String)]()
        for (lang, text) in members.sorted(by: { $0.key < $1.key }) {
            guard isLanguageCode(lang) else {
                problem("\"\(lang)\" is not a language code such as \"my\" or \"en\".")
                continue
            }
            guard case .string(let string) = text, !trimmed(string).isEmpty else {
                problem("the \(lang) text is empty or not a string.")
                continue
            }
            guard isPrintable(string) else {
                problem("the \(lang) text holds control characters; only line breaks and tabs "
                    + "are allowed.")
                continue
            }
            guard Zawgyi.detect(string) != .zawgyi else {
                problem("the \(lang) text looks like Zawgyi; convert it to Unicode first.")
                continue
            }
            texts.append((lang, trimmed(string)))
        }
        for lang in required where members[lang] == nil {
            problem("the \(languageName(lang)) (\(lang)) text is missing.")
        }
        if members.isEmpty { problem("needs at least one language.") }
        return texts
    }

    private func expectation(_ type: RecordKind.FieldType, got value: JSONValue) -> String {
        switch type {
        case .integer:
            if case .integer = value { return "must be 1 or more." }
            return "must be a whole number of 1 or more, not \(value.typeName)."
        case .boolean: return "must be true or false, not \(value.typeName)."
        case .string: return "must be a non-empty string without control characters."
        case .id: return "must be 1–64 characters of a-z, 0-9 and -, starting with a letter or digit."
        case .date: return "must be a date written YYYY-MM-DD."
        case .country: return "must be a two-letter country code such as \"TH\"."
        case .enumeration(let allowed):
            return "must be one of \(allowed.map { "\"\($0)\"" }.joined(separator: ", "))."
        case .strings, .countries: return "must be a list."
        case .localised: return "must be an object of languages."
        }
    }

    private func mentions(_ source: String) -> Bool {
        guard !source.isEmpty else { return false }
        var searchRange = sourcesText.startIndex..<sourcesText.endIndex
        while let found = sourcesText.range(of: source, range: searchRange) {
            let before = found.lowerBound == sourcesText.startIndex
                ? nil : sourcesText[sourcesText.index(before: found.lowerBound)]
            let after = found.upperBound == sourcesText.endIndex ? nil : sourcesText[found.upperBound]
            let isBoundary = { (char: Character?) in
                guard let char else { return true }
                return !(char.isLetter || char.isNumber)
            }
            if isBoundary(before) && isBoundary(after) { return true }
            searchRange = found.upperBound..<sourcesText.endIndex
        }
        return false
    }
}

private func trimmed(_ text: String) -> String {
    text.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// No control characters but line breaks and tabs: a NUL or an escape
/// sequence in published text would break displays and logs at centres.
private func isPrintable(_ text: String) -> Bool {
    text.unicodeScalars.allSatisfy { scalar in
        scalar == "\n" || scalar == "\t" || scalar == "\r"
            || !(scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value))
    }
}

private func isDate(_ text: String) -> Bool {
    let parts = text.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
          let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
          (1...12).contains(month), day >= 1
    else { return false }
    var components = DateComponents()
    components.year = year
    components.month = month
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    guard let first = calendar.date(from: components),
          let days = calendar.range(of: .day, in: .month, for: first)
    else { return false }
    return days.contains(day)
}

private func isCountry(_ text: String) -> Bool {
    text.unicodeScalars.count == 2 && text.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) }
}

private func isLanguageCode(_ text: String) -> Bool {
    (2...3).contains(text.unicodeScalars.count)
        && text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) }
}

private func languageName(_ code: String) -> String {
    switch code {
    case "my": return "Burmese"
    case "en": return "English"
    default: return code
    }
}

private func jsonArray(_ strings: [String]) -> String {
    // Strings only; encoding cannot fail.
    let data = try! JSONSerialization.data(withJSONObject: strings, options: [.withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
}
