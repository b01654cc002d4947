import Testing
@testable import SyncCore

@Suite("Planning the chain of bundles")
struct ChainPlannerTests {
    private func snapshot(_ target: Int, _ size: Int) -> BundleOffer {
        BundleOffer(kind: .snapshot, baseRelease: 0, targetRelease: target, size: size,
                    location: "s\(target)")
    }

    private func delta(_ base: Int, _ target: Int, _ size: Int) -> BundleOffer {
        BundleOffer(kind: .delta, baseRelease: base, targetRelease: target, size: size,
                    location: "d\(base)-\(target)")
    }

    @Test("an empty replica starts from a snapshot")
    func emptyReplica() {
        let plan = ChainPlanner.plan(from: 0, offers: [snapshot(3, 1000), delta(2, 3, 10)])
        #expect(plan.map(\.location) == ["s3"])
    }

    @Test("an older snapshot plus a delta beats a bigger newer snapshot")
    func olderSnapshotAndDelta() {
        let plan = ChainPlanner.plan(
            from: 0, offers: [snapshot(3, 1000), delta(2, 3, 10), snapshot(2, 900)])
        #expect(plan.map(\.location) == ["s2", "d2-3"])
    }

    @Test("deltas are preferred while they cost fewer bytes")
    func cheapestChain() {
        let offers = [snapshot(4, 1000), delta(1, 2, 100), delta(2, 3, 100), delta(3, 4, 100),
                      delta(2, 4, 150)]
        #expect(ChainPlanner.plan(from: 1, offers: offers).map(\.location) == ["d1-2", "d2-4"])
    }

    @Test("a snapshot wins when the deltas add up to more")
    func snapshotWhenCheaper() {
        let offers = [snapshot(4, 250), delta(1, 2, 100), delta(2, 3, 100), delta(3, 4, 100)]
        #expect(ChainPlanner.plan(from: 1, offers: offers).map(\.location) == ["s4"])
    }

    @Test("the newest reachable release wins over a cheaper older one")
    func newestWins() {
        let offers = [delta(1, 2, 10), delta(2, 3, 10), snapshot(5, 5000), delta(9, 10, 1)]
        #expect(ChainPlanner.plan(from: 1, offers: offers).map(\.location) == ["s5"])
    }

    @Test("nothing newer means an empty plan")
    func nothingNewer() {
        #expect(ChainPlanner.plan(from: 5, offers: [snapshot(5, 10), delta(3, 4, 1)]).isEmpty)
        #expect(ChainPlanner.plan(from: 2, offers: [delta(4, 5, 1)]).isEmpty)
    }

    @Test("equal byte costs are broken by fewer steps")
    func fewerSteps() {
        let offers = [delta(1, 2, 50), delta(2, 3, 50), delta(1, 3, 100)]
        #expect(ChainPlanner.plan(from: 1, offers: offers).map(\.location) == ["d1-3"])
    }
}
