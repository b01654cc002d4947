/// A bundle that a source offers, described well enough to plan with:
/// which releases it spans and how many bytes it costs.
public struct BundleOffer: Equatable, Sendable {
    public var kind: ReleaseUpdate.Kind
    public var baseRelease: Int
    public var targetRelease: Int
    public var size: Int
    /// Where to get it: a path on a stick, or a file name in a repository.
    public var location: String

    public init(
        kind: ReleaseUpdate.Kind, baseRelease: Int, targetRelease: Int, size: Int, location: String
    ) {
        self.kind = kind
        self.baseRelease = baseRelease
        self.targetRelease = targetRelease
        self.size = size
        self.location = location
    }

    /// Whether this bundle can be applied to a replica at `release`.
    func applies(onto release: Int) -> Bool {
        guard targetRelease > release else { return false }
        return kind == .snapshot || baseRelease == release
    }
}

/// Chooses which bundles to apply, in order, to bring a replica forward.
public enum ChainPlanner {
    /// The cheapest chain, in bytes, from `current` to the newest release
    /// reachable with `offers`; fewer steps break ties. Returns an empty
    /// chain when nothing newer is reachable.
    ///
    /// Releases form a graph whose edges are bundles: a delta leads from
    /// exactly its base, a snapshot from any older release. Dijkstra's
    /// algorithm over that graph finds the cheapest path to every release;
    /// the newest reachable one wins, because content currency matters more
    /// than bytes.
    public static func plan(from current: Int, offers: [BundleOffer]) -> [BundleOffer] {
        let usable = offers.filter { $0.targetRelease > current }
        var best: [Int: (bytes: Int, steps: Int, path: [BundleOffer])] = [current: (0, 0, [])]
        var settled = Set<Int>()
        while let (release, cost) = best
            .filter({ !settled.contains($0.key) })
            .min(by: {
                ($0.value.bytes, $0.value.steps, $0.key) < ($1.value.bytes, $1.value.steps, $1.key)
            })
        {
            settled.insert(release)
            for offer in usable where offer.applies(onto: release) {
                let candidate = (
                    bytes: cost.bytes + offer.size, steps: cost.steps + 1,
                    path: cost.path + [offer])
                if let known = best[offer.targetRelease],
                   (known.bytes, known.steps) <= (candidate.bytes, candidate.steps)
                {
                    continue
                }
                best[offer.targetRelease] = candidate
            }
        }
        guard let newest = best.keys.max(), newest > current else { return [] }
        return best[newest]!.path
    }
}
