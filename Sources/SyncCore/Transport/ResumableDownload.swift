import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Downloads one file into a `.part` file that survives restarts, resuming
/// from the bytes already there.
///
/// Servers and caches answer a Range request in many ways, and only one of
/// them lets us append: a 206 whose Content-Range starts exactly where our
/// file ends. Every other answer is handled without ever appending bytes
/// at the wrong offset:
///
/// - 200 (Range ignored): the body is the whole file; write it from 0.
/// - 206 starting earlier: skip the bytes we already have, then append.
/// - 206 starting later, or without Content-Range: drop it and ask again
///   for the whole file.
/// - 416: the body (often an HTML page) is discarded; if the server's size
///   equals ours the file is complete, otherwise start again from 0.
///
/// The finished file must have the expected size and SHA-256, or it is
/// removed and the next attempt starts from scratch.
public struct ResumableDownload {
    public let url: URL
    public let partialFile: URL
    /// Size and hash from the signed index; nil only where they are unknown.
    public let expectedSize: Int?
    public let expectedSHA256: String?

    public init(url: URL, partialFile: URL, expectedSize: Int?, expectedSHA256: String?) {
        self.url = url
        self.partialFile = partialFile
        self.expectedSize = expectedSize
        self.expectedSHA256 = expectedSHA256
    }

    /// Downloads what is missing. On a transport error the bytes received
    /// so far stay in the partial file for the next attempt.
    ///
    /// - Parameters:
    ///   - received: increased by the body bytes that cross the network,
    ///     also when the call throws, so that data budgets count them.
    ///   - onProgress: bytes in the file so far, and the total if known.
    ///   - shouldContinue: polled during the transfer; false stops it.
    public func run(
        client: HTTPClient, received: inout Int,
        onProgress: @escaping (Int, Int?) -> Void = { _, _ in },
        shouldContinue: @escaping () -> Bool = { true }
    ) throws {
        let file = try PartialFile(url: partialFile)
        // A mismatched 206 costs one more request, from 0; never more.
        for _ in 0..<2 {
            if let expectedSize, file.size > expectedSize { try file.truncate() }
            if let expectedSize, file.size == expectedSize, try isComplete(file) {
                return
            }
            let sink = ResponseSink(file: file, requestedOffset: file.size, expectedSize: expectedSize)
            let context = TransferContext()
            // Unowned: the context keeps this closure, and a strong reference
            // back would keep the context, the sink and its open file alive.
            context.onBody = { [unowned context] chunk in sink.accept(chunk, head: context.head) }
            context.shouldContinue = {
                onProgress(file.size, expectedSize)
                return shouldContinue()
            }
            let headers = file.size > 0 ? ["Range: bytes=\(file.size)-"] : []
            let exchange: HTTPClient.Exchange
            do {
                exchange = try client.perform(url, headers: headers, context: context)
            } catch {
                received += context.bodyBytes
                try file.sync()
                throw error
            }
            received += exchange.bodyBytes
            try file.sync()
            if let failure = sink.failure { throw failure }

            switch sink.outcome(head: exchange.head) {
            case .restart:
                try file.truncate()
                continue
            case .rangeNotSatisfiable(let serverSize):
                if serverSize == file.size, try isComplete(file) {
                    return
                }
                try file.truncate()
                continue
            case .failed(let status):
                throw TransportError(
                    kind: .httpStatus(status),
                    message: "\(url.absoluteString) answered HTTP \(status).",
                    retryAfter: exchange.head.retryAfter)
            case .done:
                guard try isComplete(file) else {
                    if let expectedSize, file.size < expectedSize {
                        throw TransportError(
                            kind: .network,
                            message: "The download of \(url.lastPathComponent) was cut off at "
                                + "\(file.size) of \(expectedSize) bytes.")
                    }
                    try file.truncate()
                    throw TransportError(
                        kind: .mismatch,
                        message: "\(url.lastPathComponent) on the server is not the file "
                            + "the index lists; it was discarded.")
                }
                return
            }
        }
        throw TransportError(
            kind: .mismatch,
            message: "The server's answers for \(url.lastPathComponent) do not add up to a "
                + "whole file.")
    }

    /// Whether the file has the expected size and hash; with neither known,
    /// whether it has any bytes at all.
    private func isComplete(_ file: PartialFile) throws -> Bool {
        if let expectedSize, file.size != expectedSize { return false }
        if let expectedSHA256 {
            return Hash.sha256(try FileSystem.read(partialFile)).hexString == expectedSHA256
        }
        return file.size > 0
    }
}

/// Decides, once per response, what the body is for, and writes it.
private final class ResponseSink {
    enum Outcome {
        case done
        case restart
        case rangeNotSatisfiable(serverSize: Int?)
        case failed(status: Int)
    }

    private enum Plan {
        case write(skip: Int)
        case discard
        case restart
    }

    let file: PartialFile
    let requestedOffset: Int
    let expectedSize: Int?
    private var plan: Plan?
    private(set) var failure: Error?

    init(file: PartialFile, requestedOffset: Int, expectedSize: Int?) {
        self.file = file
        self.requestedOffset = requestedOffset
        self.expectedSize = expectedSize
    }

    func accept(_ chunk: UnsafeRawBufferPointer, head: ResponseHead) -> Bool {
        if plan == nil { plan = decide(head) }
        switch plan! {
        case .discard:
            return true
        case .restart:
            return false
        case .write(let skip):
            let usable = chunk.count > skip ? UnsafeRawBufferPointer(rebasing: chunk[skip...]) : nil
            plan = .write(skip: max(0, skip - chunk.count))
            guard let usable, usable.count > 0 else { return true }
            if let expectedSize, file.size + usable.count > expectedSize {
                failure = TransportError(
                    kind: .mismatch, message: "The server sent more bytes than the index lists.")
                return false
            }
            do {
                try file.append(usable)
                return true
            } catch {
                failure = error
                return false
            }
        }
    }

    private func decide(_ head: ResponseHead) -> Plan {
        switch head.status {
        case 200:
            // The Range header was ignored: this is the whole file.
            do {
                try file.truncate()
                return .write(skip: 0)
            } catch {
                failure = error
                return .restart
            }
        case 206:
            guard let range = ContentRange(head.headers["content-range"]),
                  range.start <= requestedOffset,
                  expectedSize == nil || range.total == nil || range.total == expectedSize
            else {
                return .restart
            }
            return .write(skip: requestedOffset - range.start)
        default:
            return .discard
        }
    }

    func outcome(head: ResponseHead) -> Outcome {
        if plan == nil { plan = decide(head) }
        switch (head.status, plan!) {
        case (_, .restart):
            return .restart
        case (200, _), (206, _):
            return .done
        case (416, _):
            return .rangeNotSatisfiable(serverSize: ContentRange(head.headers["content-range"])?.total)
        default:
            return .failed(status: head.status)
        }
    }
}

/// A `Content-Range: bytes START-END/TOTAL` header, or `bytes */TOTAL`.
struct ContentRange: Equatable {
    let start: Int
    let end: Int?
    let total: Int?

    init?(_ header: String?) {
        guard let header else { return nil }
        let text = header.trimmingCharacters(in: .whitespaces)
        guard text.lowercased().hasPrefix("bytes ") else { return nil }
        let spec = text.dropFirst(6)
        let parts = spec.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        total = parts[1] == "*" ? nil : Int(parts[1])
        if parts[0] == "*" {
            guard total != nil else { return nil }
            start = 0
            end = nil
            return
        }
        let bounds = parts[0].split(separator: "-").map { Int($0) }
        guard bounds.count == 2, let first = bounds[0], let last = bounds[1], first <= last
        else { return nil }
        start = first
        end = last
    }
}

/// The `.part` file: appended to, truncated, synced.
final class PartialFile {
    let url: URL
    private let fd: Int32
    private(set) var size: Int

    init(url: URL) throws {
        self.url = url
        fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystem.storageError("open", url) }
        let end = lseek(fd, 0, SEEK_END)
        guard end >= 0 else {
            close(fd)
            throw FileSystem.storageError("read the size of", url)
        }
        size = Int(end)
    }

    deinit {
        close(fd)
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = pwrite(fd, bytes.baseAddress! + offset, bytes.count - offset, off_t(size))
            if written < 0 {
                if errno == EINTR { continue }
                throw FileSystem.storageError("write", url)
            }
            offset += written
            size += written
        }
    }

    func truncate() throws {
        guard ftruncate(fd, 0) == 0 else { throw FileSystem.storageError("truncate", url) }
        size = 0
    }

    /// Makes the bytes so far survive a power cut, so a resumed download
    /// never builds on data the disk did not keep.
    func sync() throws {
        guard fsync(fd) == 0 else { throw FileSystem.storageError("sync", url) }
    }
}
