import CCurl
import Foundation

/// Limits that keep a transfer from eating a shared link.
public struct TransferLimits: Sendable {
    /// Bytes per second for the transfer, or nil for no cap.
    public var bandwidthLimit: Int?
    /// A transfer that receives nothing for this long is abandoned.
    public var stallTimeout: TimeInterval
    public var connectTimeout: TimeInterval

    public init(bandwidthLimit: Int? = nil, stallTimeout: TimeInterval = 60,
                connectTimeout: TimeInterval = 30) {
        self.bandwidthLimit = bandwidthLimit
        self.stallTimeout = stallTimeout
        self.connectTimeout = connectTimeout
    }
}

/// An HTTP response's status line and headers (names in lower case), as
/// libcurl reports them; for redirects and `100 Continue`, the last block.
final class ResponseHead {
    var status = 0
    var headers = [String: String]()

    func parse(line: String) {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("HTTP/") {
            status = Int(trimmed.split(separator: " ").dropFirst().first ?? "") ?? 0
            headers = [:]
        } else if let colon = trimmed.firstIndex(of: ":") {
            let name = trimmed[..<colon].lowercased()
            headers[name] = trimmed[trimmed.index(after: colon)...]
                .trimmingCharacters(in: .whitespaces)
        }
    }

    /// Seconds from a `Retry-After` header given in seconds.
    var retryAfter: TimeInterval? {
        headers["retry-after"].flatMap { TimeInterval($0) }
    }

    /// The server's clock, from the `Date` header.
    var date: Date? {
        headers["date"].flatMap(Timestamp.parseHTTPDate)
    }
}

/// The state a transfer's callbacks share, reached through libcurl's
/// context pointer.
final class TransferContext {
    let head = ResponseHead()
    /// Body bytes received over the wire, whatever was done with them.
    var bodyBytes = 0
    /// Gets each chunk of the body; returns false to stop the transfer.
    var onBody: (UnsafeRawBufferPointer) -> Bool = { _ in true }
    /// Called now and then while the transfer runs; false stops it.
    var shouldContinue: () -> Bool = { true }
    var stoppedByBody = false
    var stoppedByCaller = false
}

/// A minimal HTTP client over libcurl: small GETs into memory, and
/// downloads whose bytes go wherever the caller's sink decides.
///
/// libcurl honours the usual proxy variables (`http_proxy`,
/// `https_proxy`, `no_proxy`), follows no redirects to other schemes, and
/// enforces the stall timeout and bandwidth cap itself.
public struct HTTPClient: Sendable {
    public var limits: TransferLimits
    public var userAgent: String

    public init(limits: TransferLimits = TransferLimits(), userAgent: String = "mrc-syncd") {
        self.limits = limits
        self.userAgent = userAgent
    }

    /// The outcome of one request at the HTTP level.
    struct Exchange {
        let head: ResponseHead
        let bodyBytes: Int
    }

    /// Runs one request. Transport failures throw; any HTTP status is
    /// returned for the caller to judge.
    func perform(
        _ url: URL, method: String = "GET", headers: [String] = [], upload: Data? = nil,
        context: TransferContext
    ) throws -> Exchange {
        let curl = try CurlHandle()
        try curl.set(CURLOPT_URL, url.absoluteString)
        try curl.set(CURLOPT_USERAGENT, userAgent)
        try curl.set(CURLOPT_NOSIGNAL, 1)
        try curl.set(CURLOPT_FOLLOWLOCATION, 1)
        try curl.set(CURLOPT_MAXREDIRS, 5)
        try curl.set(CURLOPT_PROTOCOLS_STR, "http,https")
        try curl.set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
        try curl.set(CURLOPT_CONNECTTIMEOUT_MS, Int(limits.connectTimeout * 1000))
        // Abandon a transfer that moves less than one byte a second for the
        // whole stall timeout.
        try curl.set(CURLOPT_LOW_SPEED_LIMIT, 1)
        try curl.set(CURLOPT_LOW_SPEED_TIME, max(1, Int(limits.stallTimeout.rounded(.up))))
        if let cap = limits.bandwidthLimit, cap > 0 {
            // libcurl averages its receive limit over a few seconds and lets
            // a short transfer through in one burst, which is exactly what
            // a shared link cannot take; downloads are paced here instead.
            try curl.set(CURLOPT_MAX_SEND_SPEED_LARGE, offset: Int64(cap))
            let pacer = Pacer(bytesPerSecond: cap)
            let deliver = context.onBody
            context.onBody = { [unowned context] chunk in
                guard pacer.wait(after: chunk.count, shouldContinue: context.shouldContinue) else {
                    context.stoppedByCaller = true
                    return false
                }
                return deliver(chunk)
            }
        }
        try curl.setHeaders(headers)

        let pointer = Unmanaged.passUnretained(context).toOpaque()
        try curl.set(CURLOPT_HEADERDATA, pointer: pointer)
        try curl.set(CURLOPT_WRITEDATA, pointer: pointer)
        try curl.set(CURLOPT_XFERINFODATA, pointer: pointer)
        try curl.set(CURLOPT_NOPROGRESS, 0)
        _ = mrc_curl_setopt_data_callback(curl.handle, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            let transfer = Unmanaged<TransferContext>.fromOpaque(context!).takeUnretainedValue()
            let length = size * count
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
            transfer.head.parse(line: line)
            return length
        }
        _ = mrc_curl_setopt_data_callback(curl.handle, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            let transfer = Unmanaged<TransferContext>.fromOpaque(context!).takeUnretainedValue()
            let length = size * count
            transfer.bodyBytes += length
            guard transfer.onBody(UnsafeRawBufferPointer(start: data, count: length)) else {
                transfer.stoppedByBody = true
                return 0
            }
            return length
        }
        _ = mrc_curl_setopt_progress_callback(curl.handle) { context, _, _, _, _ in
            let transfer = Unmanaged<TransferContext>.fromOpaque(context!).takeUnretainedValue()
            if transfer.shouldContinue() { return 0 }
            transfer.stoppedByCaller = true
            return 1
        }

        var uploadSource: UploadSource?
        if let upload {
            uploadSource = UploadSource(data: upload)
            try curl.set(CURLOPT_UPLOAD, 1)
            try curl.set(CURLOPT_INFILESIZE_LARGE, offset: Int64(upload.count))
            try curl.set(CURLOPT_READDATA, pointer: Unmanaged.passUnretained(uploadSource!).toOpaque())
            _ = mrc_curl_setopt_data_callback(curl.handle, CURLOPT_READFUNCTION) {
                buffer, size, count, context in
                let source = Unmanaged<UploadSource>.fromOpaque(context!).takeUnretainedValue()
                return source.read(into: buffer!, capacity: size * count)
            }
        }
        if method != "GET" && !(method == "PUT" && upload != nil) {
            try curl.set(CURLOPT_CUSTOMREQUEST, method)
        }

        let code = withExtendedLifetime((context, uploadSource)) { curl.perform() }
        if context.stoppedByCaller {
            throw TransportError(kind: .cancelled, message: "The transfer was stopped.")
        }
        if code != CURLE_OK && !context.stoppedByBody {
            throw Self.error(for: code, url: url, context: context)
        }
        context.head.status = curl.responseCode()
        return Exchange(head: context.head, bodyBytes: context.bodyBytes)
    }

    static func error(for code: CURLcode, url: URL, context: TransferContext) -> TransportError {
        let host = url.host ?? url.absoluteString
        switch code {
        case CURLE_ABORTED_BY_CALLBACK where context.stoppedByCaller:
            return TransportError(kind: .cancelled, message: "The transfer was stopped.")
        case CURLE_OPERATION_TIMEDOUT:
            return TransportError(
                kind: .stalled,
                message: "The transfer from \(host) stalled: no data arrived for too long. "
                    + "What arrived is kept, and the transfer goes on from there next time.")
        case CURLE_WRITE_ERROR:
            return TransportError(kind: .local, message: "Could not save data from \(host).")
        case CURLE_PARTIAL_FILE, CURLE_RECV_ERROR:
            return TransportError(
                kind: .network,
                message: "The connection to \(host) broke off in the middle of a transfer. "
                    + "What arrived is kept, and the transfer goes on from there next time.")
        case CURLE_GOT_NOTHING:
            return TransportError(
                kind: .network,
                message: "\(host) closed the connection without answering. It will be tried "
                    + "again.")
        default:
            return TransportError(
                kind: .network,
                message: "Could not reach \(host): \(CurlHandle.describe(code)).")
        }
    }
}

/// Feeds an upload body to libcurl's read callback.
final class UploadSource {
    private let data: Data
    private var offset = 0

    init(data: Data) {
        self.data = data
    }

    func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        let count = min(capacity, data.count - offset)
        guard count > 0 else { return 0 }
        data.withUnsafeBytes { raw in
            UnsafeMutableRawPointer(buffer).copyMemory(
                from: raw.baseAddress! + offset, byteCount: count)
        }
        offset += count
        return count
    }
}

/// Keeps a transfer's average rate at or below a cap by pausing after each
/// chunk until the bytes so far fit the cap. While we do not read, TCP's
/// flow control slows the sender, so the link itself carries no more.
final class Pacer {
    private let bytesPerSecond: Double
    private var start: Date?
    private var bytes = 0

    init(bytesPerSecond: Int) {
        self.bytesPerSecond = Double(bytesPerSecond)
    }

    /// Accounts for `count` bytes just received and waits as long as they
    /// need; false if `shouldContinue` asked to stop meanwhile.
    func wait(after count: Int, shouldContinue: () -> Bool) -> Bool {
        let begin = start ?? Date()
        start = begin
        bytes += count
        let due = begin.addingTimeInterval(Double(bytes) / bytesPerSecond)
        while true {
            let remaining = due.timeIntervalSinceNow
            if remaining <= 0 { return true }
            // Short naps, so that a stop request is noticed promptly.
            Thread.sleep(forTimeInterval: min(remaining, 0.2))
            if !shouldContinue() { return false }
        }
    }
}
