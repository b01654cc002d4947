import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A thread that runs one closure, and that its owner joins.
///
/// Applying a release hashes, inflates and checks on threads of their own.
/// Each is joined before the apply returns, so that none outlives the call
/// that started it, holding memory or references its caller has finished
/// with (Foundation's `Thread` can only be detached).
final class WorkerThread {
    private final class Work {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    private var thread = pthread_t()
    private let lock = NSLock()
    // Guarded by `lock`.
    private var isJoined = false

    init(_ body: @escaping () -> Void) {
        let work = Unmanaged.passRetained(Work(body)).toOpaque()
        let rc = pthread_create(&thread, nil, { context in
            Unmanaged<Work>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, work)
        // Without a thread nothing here could go on; it only fails when the
        // system is out of memory or processes.
        precondition(rc == 0, "could not start a thread: \(String(cString: strerror(rc)))")
    }

    /// Waits for the closure to return and the thread to end; from any
    /// thread, any number of times.
    func join() {
        lock.lock()
        defer { lock.unlock() }
        guard !isJoined else { return }
        pthread_join(thread, nil)
        isJoined = true
    }

    deinit {
        if !isJoined { pthread_detach(thread) }
    }
}
