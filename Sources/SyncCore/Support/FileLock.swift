import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An advisory lock on a file, held until the value is released.
///
/// Only one process at a time may apply bundles to a replica; `flock` is
/// released by the kernel when the process dies, so a crash never leaves a
/// stale lock behind.
public final class FileLock {
    private let fd: Int32

    /// Takes the lock without waiting; nil when another process holds it.
    public static func tryLock(_ url: URL) throws -> FileLock? {
        let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystem.storageError("open the lock file", url) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK { return nil }
            throw SyncError(.storage, "Could not lock \(url.path): \(String(cString: strerror(code))).")
        }
        return FileLock(fd: fd)
    }

    private init(fd: Int32) {
        self.fd = fd
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
