import CSQLite
import Foundation

/// Inflates a bundle's payload on a thread of its own, so that SQLite can
/// apply the first changes while the last are still being inflated: for a
/// release of 100,000 rows that takes the tenth of a second inflating costs
/// off the time the new content waits.
///
/// The payload is only inflated after its signature was checked; what may
/// still go wrong is a damaged stream from the central office, which makes
/// reading fail, the apply stop and its transaction roll back.
final class PatchsetInflation: @unchecked Sendable {
    private let condition = NSCondition()
    private let buffer: UnsafeMutableRawPointer
    private let expectedSize: Int
    // Guarded by `condition`.
    private var available = 0
    private var outcome: Result<Data, SyncError>?
    private var bufferIsOwned = true
    private var worker: WorkerThread?

    /// - Parameter expectedSize: the size the header promises; anything
    ///   else is an error, and no more memory than that is used.
    init(_ compressed: Data, expectedSize: Int, name: String) {
        self.expectedSize = max(0, expectedSize)
        // One spare byte, to notice a stream that produces more.
        buffer = malloc(self.expectedSize + 1)!
        worker = WorkerThread { [self] in
            let result: Result<Data, SyncError>
            do {
                let count = try Deflate.decompress(
                    compressed, expectedSize: expectedSize, into: buffer
                ) { produced in
                    condition.lock()
                    available = min(produced, self.expectedSize)
                    condition.broadcast()
                    condition.unlock()
                }
                result = .success(Data(bytesNoCopy: buffer, count: count, deallocator: .free))
            } catch {
                result = .failure(
                    SyncError(.malformed, "\(name) cannot be decompressed: \(error)."))
            }
            condition.lock()
            if case .success = result { bufferIsOwned = false }
            outcome = result
            condition.broadcast()
            condition.unlock()
        }
    }

    deinit {
        if bufferIsOwned { free(buffer) }
    }

    /// The whole patchset, once inflated; the inflating thread has ended.
    func result() throws -> Data {
        condition.lock()
        while outcome == nil { condition.wait() }
        let outcome = outcome!
        let worker = worker
        condition.unlock()
        worker?.join()
        return try outcome.get()
    }

    /// Reads the patchset from its start, for one apply.
    func makeReader() -> Reader { Reader(self) }

    /// Hands SQLite's streaming interface the bytes in order, waiting for
    /// them as needed.
    final class Reader {
        private let inflation: PatchsetInflation
        private var offset = 0

        init(_ inflation: PatchsetInflation) {
            self.inflation = inflation
        }

        /// Copies up to `count` bytes into `destination` and sets `count`
        /// to how many; 0 at the end. Fails once the stream turned out to
        /// be damaged, so that the apply stops.
        func read(into destination: UnsafeMutableRawPointer, count: UnsafeMutablePointer<Int32>)
            -> Int32
        {
            let inflation = inflation
            inflation.condition.lock()
            // The end is only the end once the stream checked out.
            while inflation.available <= offset && inflation.outcome == nil {
                inflation.condition.wait()
            }
            let available = inflation.available
            let failed = if case .failure = inflation.outcome { true } else { false }
            inflation.condition.unlock()
            if failed {
                count.pointee = 0
                return SQLITE_CORRUPT
            }
            let length = min(Int(count.pointee), available - offset)
            if length > 0 {
                destination.copyMemory(from: inflation.buffer + offset, byteCount: length)
                offset += length
            }
            count.pointee = Int32(max(0, length))
            return SQLITE_OK
        }
    }
}
