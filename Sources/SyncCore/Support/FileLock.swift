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

    /// The descriptor, for handing the lock on to a program this process
    /// executes in its place.
    var fileDescriptor: Int32 { fd }

    /// Whether the descriptor stays open across `execve`; the lock is held
    /// for as long as it is open.
    func setInheritable(_ inheritable: Bool) {
        _ = fcntl(fd, F_SETFD, inheritable ? 0 : FD_CLOEXEC)
    }

    /// Takes over a lock that this process held before it executed a new
    /// program, from its still-open descriptor; nil if it is not open.
    static func adopting(_ fd: Int32) -> FileLock? {
        guard fd >= 0, fcntl(fd, F_GETFD) >= 0 else { return nil }
        let lock = FileLock(fd: fd)
        lock.setInheritable(false)
        return lock
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
