import Foundation
import FuzzSupport
import SyncCore

/// The index behind its signature, and the chain planner that `sync` runs
/// on it: sizes, releases and kinds straight from the JSON.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIndexSigned(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let input = fuzzInput(start, count)
    let file = Resign.container(input, kind: .index)
    let index: RepositoryIndex
    do {
        index = try RepositoryIndex.open(file, name: "input", trustedKeys: TestKeys.trusted)
    } catch {
        expectTyped(error, "RepositoryIndex.open", input)
        return 0
    }
    // The planner sees what SyncCycle hands it; keep the graph small
    // enough that a slow input is the planner's fault, not the size's.
    guard index.bundles.count <= 64 else { return 0 }
    let offers = index.bundles.map {
        BundleOffer(
            kind: $0.kind, baseRelease: $0.baseRelease, targetRelease: $0.targetRelease,
            size: $0.size, location: $0.file)
    }
    for current in [0, 1, index.latestRelease] {
        let chain = ChainPlanner.plan(from: current, offers: offers)
        var release = current
        for step in chain {
            guard step.targetRelease > release,
                  step.kind == .snapshot || step.baseRelease == release
            else {
                violated("the planner chose \(step.location) at release \(release)", input)
            }
            release = step.targetRelease
        }
    }
    return 0
}
