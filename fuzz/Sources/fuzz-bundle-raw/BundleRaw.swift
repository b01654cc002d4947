import Foundation
import FuzzSupport
import SyncCore

/// What a USB stick or a network path can do: hand the reader any bytes
/// at all. The trusted key is the test key, so unchanged seeds verify;
/// almost every mutation must then be refused by the prelude or signature
/// checks, and nothing may crash on the way.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBundleRaw(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = fuzzInput(start, count)
    do {
        let bundle = try Bundle.open(data, name: "input", trustedKeys: TestKeys.trusted)
        _ = try bundle.releaseUpdate().patchset.contents()
    } catch {
        expectTyped(error, "Bundle.open or releaseUpdate", data)
    }
    return 0
}
