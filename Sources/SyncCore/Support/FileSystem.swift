import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Small durable file operations on top of POSIX calls.
///
/// Foundation's `Data.write(to:options: .atomic)` renames but does not
/// `fsync`, so after a power cut the new name may point at an empty file.
/// Everything here syncs the data and then the directory entry.
public enum FileSystem {
    /// Replaces the file at `url` with `data` so that, after a crash at any
    /// instant, the file holds either the old or the new bytes.
    public static func writeAtomically(_ data: Data, to url: URL, mode: mode_t = 0o644) throws {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(
            ".\(url.lastPathComponent).\(getpid()).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw storageError("create", temporary) }
        do {
            defer { close(fd) }
            try writeAll(fd, data, temporary)
            guard fsync(fd) == 0 else { throw storageError("sync", temporary) }
        } catch {
            unlink(temporary.path)
            throw error
        }
        guard rename(temporary.path, url.path) == 0 else {
            let error = storageError("rename", temporary)
            unlink(temporary.path)
            throw error
        }
        try syncDirectory(directory)
    }

    /// Creates a new file that must not exist yet, with the given mode, and
    /// writes `data` to it durably. Used for secret keys, which must never be
    /// overwritten by accident.
    public static func createExclusively(_ data: Data, at url: URL, mode: mode_t) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw storageError("create", url) }
        defer { close(fd) }
        // The umask may have narrowed the mode; a key file must end up exact.
        guard fchmod(fd, mode) == 0 else { throw storageError("set the mode of", url) }
        try writeAll(fd, data, url)
        guard fsync(fd) == 0 else { throw storageError("sync", url) }
        try syncDirectory(url.deletingLastPathComponent())
    }

    /// Makes a rename or a new file in `directory` survive a power cut.
    public static func syncDirectory(_ directory: URL) throws {
        let fd = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw storageError("open", directory) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw storageError("sync", directory) }
    }

    /// Reads a whole file; a missing or unreadable file is a storage error
    /// that names it.
    public static func read(_ url: URL) throws -> Data {
        do {
            return try Data(contentsOf: url)
        } catch {
            throw SyncError(.storage, "Could not read \(url.path): \(reason(of: error)).")
        }
    }

    public static func createDirectory(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw SyncError(.storage, "Could not create the folder \(url.path): \(reason(of: error)).")
        }
    }

    private static func writeAll(_ fd: Int32, _ data: Data, _ url: URL) throws {
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw storageError("write", url)
                }
                offset += written
            }
        }
    }

    static func storageError(_ action: String, _ url: URL) -> SyncError {
        let reason = String(cString: strerror(errno))
        return SyncError(.storage, "Could not \(action) \(url.path): \(reason).")
    }

    /// The operating system's words for an error, without Foundation's
    /// wrapping ("The operation could not be completed").
    static func reason(of error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
           underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(nsError.code)))
        }
        guard nsError.domain == NSCocoaErrorDomain else { return nsError.localizedDescription }
        switch nsError.code {
        case NSFileReadNoSuchFileError, NSFileNoSuchFileError: return "no such file"
        case NSFileReadNoPermissionError, NSFileWriteNoPermissionError: return "permission denied"
        case NSFileReadInvalidFileNameError: return "not a valid file name"
        case NSFileReadCorruptFileError: return "the file is damaged"
        case NSFileWriteVolumeReadOnlyError: return "it is read-only"
        case NSFileWriteOutOfSpaceError: return "it is full"
        case NSFileReadUnknownError where isDirectory(nsError): return "it is a folder, not a file"
        default: return "read error \(nsError.code)"
        }
    }

    static func isPermissionDenied(_ error: Error) -> Bool {
        let nsError = error as NSError
        if nsError.domain == NSCocoaErrorDomain { return nsError.code == NSFileReadNoPermissionError }
        return nsError.domain == NSPOSIXErrorDomain && nsError.code == Int(EACCES)
    }

    private static func isDirectory(_ error: NSError) -> Bool {
        guard let path = error.userInfo[NSFilePathErrorKey] as? String else { return false }
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            && isDirectory.boolValue
    }
}
