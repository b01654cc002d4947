import Foundation
import FuzzSupport
import SyncCore

/// What the central office's `ingest` opens. Anyone who can reach the
/// upload folder can PUT a file, and the inbox key's public half is given
/// to every centre, so an attacker can seal anything: the harness seals
/// the input (the plain size and zlib stream inside the box) with the
/// test inbox key and opens it, reaching the decompressor and the JSON.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBatch(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = fuzzInput(start, count)
    let magic = Data([0x89, 0x4D, 0x52, 0x43, 0x51, 0x0D, 0x0A, 0x1A])
    let file = magic + TestKeys.inboxPublic.seal(input)
    do {
        _ = try QueryBatch.open(file, name: "input", inbox: TestKeys.inbox)
    } catch {
        expectTyped(error, "QueryBatch.open", input)
    }
    // The raw bytes as a file, as a damaged upload arrives.
    do {
        _ = try QueryBatch.open(input, name: "input", inbox: TestKeys.inbox)
    } catch {
        expectTyped(error, "QueryBatch.open (raw)", input)
    }
    return 0
}
