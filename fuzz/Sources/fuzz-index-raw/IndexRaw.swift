import Foundation
import FuzzSupport
import SyncCore

/// Any bytes as a repository index, as a hostile server could send them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIndexRaw(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = fuzzInput(start, count)
    do {
        _ = try RepositoryIndex.open(data, name: "input", trustedKeys: TestKeys.trusted)
    } catch {
        expectTyped(error, "RepositoryIndex.open", data)
    }
    return 0
}
