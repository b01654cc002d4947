import CSQLite
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Replica {
    /// Replaces a damaged replica with a new database built from a snapshot.
    ///
    /// A database with damaged pages cannot be repaired in place: the
    /// statements that would drop and refill its tables fail on those very
    /// pages. So the snapshot is applied to a new file beside the replica,
    /// checked against its signed digest as every release is, and only then
    /// renamed into the replica's place. After a crash at any instant the
    /// replica is the old file, still marked as needing a snapshot, or the
    /// new one; a half-built file is removed by the next attempt.
    ///
    /// The caller holds the apply lock. Connections already open on the old
    /// file go on reading it until they close.
    public static func rebuild(
        at url: URL, applying update: ReleaseUpdate, channel: String,
        keepGoing: () -> Bool = { true }
    ) throws {
        precondition(update.kind == .snapshot, "only a snapshot holds a whole release")
        // Whatever can still be read of the old replica must not be newer.
        if let old = try? openReadOnly(at: url)?.info() {
            try update.step.checkApplicable(onto: old, channel: channel, repairing: true)
        }
        let building = url.appendingPathExtension("rebuild")
        try removeDatabaseFiles(at: building)
        do {
            try buildFile(at: building, applying: update, channel: channel, keepGoing: keepGoing)
        } catch {
            try? removeDatabaseFiles(at: building)
            throw error
        }

        // The old write-ahead log holds pages of the damaged file; left
        // beside the new one, SQLite would replay them into it.
        try removeFiles([walURL(of: building), shmURL(of: building)])
        try removeFiles([walURL(of: url), shmURL(of: url)])
        guard rename(building.path, url.path) == 0 else {
            throw FileSystem.storageError("rename", building)
        }
        try FileSystem.syncDirectory(url.deletingLastPathComponent())
    }

    /// Applies the snapshot to a new database and leaves all of it in the
    /// main file, synced, with an empty write-ahead log.
    private static func buildFile(
        at url: URL, applying update: ReleaseUpdate, channel: String, keepGoing: () -> Bool
    ) throws {
        let replica = try openForWriting(at: url)
        try replica.apply(update, channel: channel, keepGoing: keepGoing)
        try replica.storage("finish the new replica") {
            let result = try replica.database.rows("PRAGMA wal_checkpoint(TRUNCATE)")
            // The first column is 1 when a reader kept the checkpoint from
            // finishing; nobody else knows this file, so that is a bug.
            guard result.first?.first?.integer == 0 else {
                throw SQLiteError(
                    code: SQLITE_BUSY, message: "the new replica could not be checkpointed",
                    sql: nil)
            }
        }
    }

    private static func walURL(of url: URL) -> URL { URL(fileURLWithPath: url.path + "-wal") }
    private static func shmURL(of url: URL) -> URL { URL(fileURLWithPath: url.path + "-shm") }

    private static func removeDatabaseFiles(at url: URL) throws {
        try removeFiles([url, walURL(of: url), shmURL(of: url)])
    }

    private static func removeFiles(_ urls: [URL]) throws {
        for url in urls where unlink(url.path) != 0 && errno != ENOENT {
            throw FileSystem.storageError("remove", url)
        }
    }
}
