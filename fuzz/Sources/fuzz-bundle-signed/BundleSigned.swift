import Foundation
import FuzzSupport
import SyncCore

/// The code behind the signature check: the header's JSON and its checks,
/// the zlib payload, and applying the patchset to an empty replica. Only
/// the central office's key can reach it in the field, so what it finds
/// are publisher-side hazards rather than attacks; see Resign for how the
/// input is signed.
let scratch = ScratchFolder("bundle")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBundleSigned(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = fuzzInput(start, count)
    let file = Resign.container(input, kind: .bundle)
    let update: ReleaseUpdate
    do {
        let bundle = try Bundle.open(file, name: "input", trustedKeys: TestKeys.trusted)
        update = try bundle.releaseUpdate()
        guard try update.patchset.contents().count == bundle.header.uncompressedSize else {
            violated("the payload decompressed to a size other than the header's", input)
        }
    } catch {
        expectTyped(error, "Bundle.open or releaseUpdate", input)
        return 0
    }
    guard update.kind == .snapshot, SchemaGuard.allows(update.schemaStatements) else { return 0 }
    apply(update, input)
    return 0
}

/// Applies a snapshot to a fresh replica; when it is accepted, the digest
/// kept while applying must equal a full recount, or `mrc-syncd verify`
/// would call the content damaged right after installing it.
func apply(_ update: ReleaseUpdate, _ input: Data) {
    scratch.removeAll(startingWith: "replica")
    do {
        let replica = try Replica.openForWriting(at: scratch.file("replica.sqlite"))
        do {
            try replica.apply(update, channel: update.channel)
        } catch {
            expectTyped(error, "Replica.apply", input)
            return
        }
        let info = try replica.info()
        guard info.release == update.targetRelease, info.contentDigest == update.contentDigest
        else {
            violated("an applied snapshot left release \(info.release), not \(update.targetRelease)", input)
        }
        let recount = try replica.computeDigest()
        guard recount == info.contentDigest else {
            violated("the digest kept while applying (\(info.contentDigest.shortHex)) differs "
                + "from a full recount (\(recount.shortHex))", input)
        }
        guard try replica.integrityProblems().isEmpty else {
            violated("an applied snapshot left the database failing integrity_check", input)
        }
    } catch {
        violated("the scratch replica failed: \(error)", input)
    }
}

/// Schema statements are SQL that the signed header hands to SQLite. The
/// publisher only writes plain CREATE TABLE statements; the harness runs
/// nothing else, so that the fuzzer cannot spend its time in SQL that
/// computes for ever, allocates gigabytes or attaches files.
enum SchemaGuard {
    static let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_ ,()")
    static let refusedWords = ["DEFAULT", "CHECK", " AS", "GENERATED", "REFERENCES", "ATTACH"]

    static func allows(_ statements: [String]) -> Bool {
        statements.count <= 16 && statements.allSatisfy { statement in
            let upper = statement.uppercased()
            return statement.count <= 2_000 && upper.hasPrefix("CREATE TABLE ")
                && statement.allSatisfy(allowed.contains)
                && !refusedWords.contains(where: upper.contains)
        }
    }
}
