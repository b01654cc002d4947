import CCurl
import Foundation

/// libcurl's global state must be set up once per process before any
/// handle exists; a global `let` runs its initialiser exactly once.
private let curlGlobalStatus: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

/// One libcurl easy handle, cleaned up when the value goes away. Every
/// option passes through `set`, which turns a refusal into an error.
final class CurlHandle {
    let handle: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?

    init() throws {
        guard curlGlobalStatus == CURLE_OK, let handle = curl_easy_init() else {
            throw TransportError(kind: .local, message: "libcurl could not be initialised")
        }
        self.handle = handle
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
    }

    func set(_ option: CURLoption, _ value: Int) throws {
        try check(mrc_curl_setopt_long(handle, option, value), option)
    }

    func set(_ option: CURLoption, offset value: Int64) throws {
        try check(mrc_curl_setopt_off(handle, option, curl_off_t(value)), option)
    }

    func set(_ option: CURLoption, _ value: String) throws {
        // libcurl copies string options (since 7.17), so the pointer need
        // only live for the call.
        try check(mrc_curl_setopt_string(handle, option, value), option)
    }

    func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer?) throws {
        try check(mrc_curl_setopt_pointer(handle, option, value), option)
    }

    func setHeaders(_ headers: [String]) throws {
        curl_slist_free_all(headerList)
        headerList = nil
        for header in headers {
            headerList = curl_slist_append(headerList, header)
        }
        try check(mrc_curl_setopt_pointer(handle, CURLOPT_HTTPHEADER, headerList), CURLOPT_HTTPHEADER)
    }

    func responseCode() -> Int {
        var code = 0
        _ = mrc_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        return code
    }

    /// Runs the transfer; the returned code is for the caller to interpret,
    /// since a callback may have stopped it on purpose.
    func perform() -> CURLcode {
        curl_easy_perform(handle)
    }

    private func check(_ code: CURLcode, _ option: CURLoption) throws {
        guard code == CURLE_OK else {
            throw TransportError(
                kind: .local,
                message: "libcurl refused option \(option.rawValue): "
                    + String(cString: curl_easy_strerror(code)))
        }
    }

    static func describe(_ code: CURLcode) -> String {
        String(cString: curl_easy_strerror(code))
    }
}
