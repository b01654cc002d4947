import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Named points where the crash tests kill the process, the way a power
/// cut would: with `MRC_SYNCD_CRASH_AT=<name>` in the environment the
/// process sends itself SIGKILL on reaching that point. Without the
/// variable, reaching a point costs one dictionary lookup.
public enum CrashPoint: String, CaseIterable, Sendable {
    /// The verified index was saved in the state directory.
    case indexSaved = "index-saved"
    /// Half of a bundle's body is in its partial file.
    case downloadHalfway = "download-halfway"
    /// The whole body is on disk with the size and hash the index lists;
    /// its signature is not checked yet.
    case downloadComplete = "download-complete"
    /// The bundle passed its size, hash and signature checks.
    case verified = "verified"
    /// The rows are changed inside the apply transaction, not committed.
    case applying = "applying"
    /// The release is committed; the search index is being brought up to
    /// it in its own transaction, not committed.
    case indexing = "indexing"
    /// A batch is written inside the sealing transaction, not committed.
    case sealing = "sealing"
    /// The server answered 2xx to an upload; the batch is not yet marked.
    case uploadAnswered = "upload-answered"

    /// The steps of fetching and applying content.
    public static let contentSteps: [CrashPoint] = [
        .indexSaved, .downloadHalfway, .downloadComplete, .verified, .applying, .indexing,
    ]

    static let environmentKey = "MRC_SYNCD_CRASH_AT"

    private static let armed = ProcessInfo.processInfo.environment[environmentKey]

    func reach() {
        guard Self.armed == rawValue else { return }
        kill(getpid(), SIGKILL)
    }
}
