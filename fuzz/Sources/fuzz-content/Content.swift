import Foundation
import FuzzSupport
import SyncCore

/// The content validator that `mrc-publish release` runs on the central
/// office's JSON. The first byte picks one of the four files; the rest of
/// the input replaces it. The other three hold the first two records of
/// samples/content's files, which keeps each run to a millisecond or so.
let scratch = ScratchFolder("content")
let files = ["topics.json", "articles.json", "contacts.json", "agencies.json"]
let originals: [Data] = {
    let samples = Checkout.root.appendingPathComponent("samples/content")
    do {
        try? FileManager.default.removeItem(at: scratch.file("SOURCES.md"))
        try FileManager.default.copyItem(
            at: samples.appendingPathComponent("SOURCES.md"), to: scratch.file("SOURCES.md"))
        return try files.map { name in
            let all = try JSONSerialization.jsonObject(
                with: Data(contentsOf: samples.appendingPathComponent(name)))
            let some = Array((all as? [Any] ?? []).prefix(2))
            let data = try JSONSerialization.data(withJSONObject: some, options: [.prettyPrinted])
            try data.write(to: scratch.file(name))
            return data
        }
    } catch {
        fatalError("samples/content cannot be read: \(error)")
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzContent(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = fuzzInput(start, count)
    guard let selector = input.first else { return 0 }
    let which = Int(selector) % files.count
    let target = scratch.file(files[which])
    do {
        try input.dropFirst().write(to: target)
    } catch {
        fatalError("cannot write \(target.path): \(error)")
    }
    defer { try? originals[which].write(to: target) }
    do {
        _ = try ContentSet.load(from: scratch.url)
    } catch let error as SyncError {
        guard error.code == .invalidContent else {
            violated("content was refused with \(error.code), not invalidContent", input)
        }
    } catch {
        violated("ContentSet.load threw \(type(of: error)): \(error)", input)
    }
    return 0
}
