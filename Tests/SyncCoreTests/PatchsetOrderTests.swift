import Foundation
import Testing
@testable import SyncCore

@Suite("Patchsets in key order")
struct PatchsetOrderTests {
    /// Two tables, one keyed by text and one by an integer and text, with
    /// inserts, updates (some touching only some columns), deletes, NULLs,
    /// reals, blobs and negative keys, so that every field type occurs.
    private static func databases(in scratch: Scratch) throws -> (base: String, next: String) {
        let schema = [
            "CREATE TABLE item (id TEXT PRIMARY KEY, title TEXT, score REAL, data BLOB)",
            "CREATE TABLE part (item INTEGER, lang TEXT, body TEXT, PRIMARY KEY (item, lang))",
        ]
        let base = scratch.path("base.sqlite").path
        let next = scratch.path("next.sqlite").path
        for path in [base, next] {
            let database = try Database(path: path)
            for statement in schema { try database.execute(statement) }
            try database.writeTransaction {
                for i in 0..<300 {
                    try database.run("INSERT INTO item VALUES (?, ?, ?, ?)", [
                        .text("item-\(i)"), .text("Title \(i)"), .real(Double(i) / 3),
                        .blob(Data([UInt8(i % 256), 7])),
                    ])
                    for lang in ["en", "my"] {
                        try database.run("INSERT INTO part VALUES (?, ?, ?)",
                                         [.integer(Int64(i - 150)), .text(lang), .text("body \(i)")])
                    }
                }
            }
        }
        let database = try Database(path: next)
        try database.writeTransaction {
            try database.execute("UPDATE item SET title = 'New ' || id WHERE rowid % 7 = 0")
            try database.execute("UPDATE item SET score = NULL, data = x'' WHERE rowid % 11 = 0")
            try database.execute("DELETE FROM item WHERE rowid % 13 = 0")
            try database.execute("DELETE FROM part WHERE item % 17 = 0 AND lang = 'my'")
            try database.execute("UPDATE part SET body = upper(body) WHERE item % 5 = 0")
            for i in 300..<340 {
                try database.run("INSERT INTO item VALUES (?, NULL, 1.5, NULL)", [.text("item-\(i)")])
                try database.run("INSERT INTO part VALUES (?, 'en', ?)",
                                 [.integer(Int64(-1000 - i)), .text("new \(i)")])
            }
        }
        return (base, next)
    }

    private static func diff(_ paths: (base: String, next: String)) throws -> Patchset {
        let database = try Database(path: paths.next)
        try database.run("ATTACH DATABASE ? AS base", [.text(paths.base)])
        return try Patchset.diff(in: database, from: "base", tables: ["item", "part"])
    }

    private static func changes(_ patchset: Patchset) throws -> [Patchset.Change] {
        var changes = [Patchset.Change]()
        try patchset.forEachChange { changes.append($0) }
        return changes
    }

    private static func contents(_ path: String) throws -> [[SQLiteValue]] {
        let database = try Database(path: path)
        return try database.rows("SELECT * FROM item ORDER BY id")
            + database.rows("SELECT * FROM part ORDER BY item, lang")
    }

    @Test("ordering moves changes within their table and keeps every one")
    func sameChanges() throws {
        let scratch = try Scratch()
        let patchset = try Self.diff(Self.databases(in: scratch))
        let ordered = try patchset.orderedByKey()
        #expect(ordered.bytes.count == patchset.bytes.count)
        #expect(ordered.bytes.sorted() == patchset.bytes.sorted())

        let before = try Self.changes(patchset)
        let after = try Self.changes(ordered)
        #expect(before.count > 200)
        let describe = { (change: Patchset.Change) in
            "\(change.table) \(change.operation) \(change.primaryKey)"
        }
        #expect(Set(after.map(describe)) == Set(before.map(describe)))

        // Tables keep their order, and within each the keys ascend.
        let tables = after.map(\.table).reduce(into: [String]()) { if $0.last != $1 { $0.append($1) } }
        #expect(tables == ["item", "part"])
        let items = after.filter { $0.table == "item" }.map { $0.primaryKey[0].text! }
        #expect(items == items.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        let parts = after.filter { $0.table == "part" }.map {
            ($0.primaryKey[0].integer!, $0.primaryKey[1].text!)
        }
        #expect(parts.map(\.0) == parts.map(\.0).sorted())
        #expect(items != before.filter { $0.table == "item" }.map { $0.primaryKey[0].text! },
                "the session extension's order was already sorted; the test shows nothing")
    }

    @Test("the ordered patchset makes the same database")
    func sameResult() throws {
        let scratch = try Scratch()
        let paths = try Self.databases(in: scratch)
        let ordered = try Self.diff(paths).orderedByKey()
        let database = try Database(path: paths.base)
        try database.writeTransaction { try ordered.apply(to: database) }
        #expect(try Self.contents(paths.base) == Self.contents(paths.next))
    }

    @Test("a damaged patchset is refused, not reordered")
    func damaged() throws {
        let scratch = try Scratch()
        let bytes = try Self.diff(Self.databases(in: scratch)).bytes
        // Cuts inside the first header and inside the last change.
        for cut in [1, 3, 9, bytes.count - 2, bytes.count - 1] {
            #expect(throws: PatchsetFormatError.self) {
                try Patchset(bytes: bytes.prefix(cut)).orderedByKey()
            }
        }
        var wrongType = bytes
        let name = 2 + Int(bytes[1])
        let firstChange = bytes[name...].firstIndex(of: 0)! + 1
        wrongType[firstChange + 2] = 9
        #expect(throws: PatchsetFormatError.self) { try Patchset(bytes: wrongType).orderedByKey() }
        #expect(try Patchset(bytes: Data()).orderedByKey().bytes.isEmpty)
    }
}
