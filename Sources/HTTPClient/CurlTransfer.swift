import CCurl
import Foundation

/// One request and its response through libcurl's easy interface, run to its end on the calling thread: bytes are
/// counted as they arrive and the transfer is stopped at the limit (the write callback refuses the next bytes, so
/// curl closes the connection), and it stops within a moment when its exchange is stopped. libcurl never follows a
/// redirect itself (the client does, see `Redirect`).
final class CurlTransfer {
    private let request: OutboundRequest
    private let maxBodyBytes: Int
    private let exchange: Exchange
    private var body: [UInt8] = []
    private var headers: [(name: String, value: String)] = []
    private var headBytes = 0
    private var overLimit = false

    /// A response head larger than this is refused like a large body.
    static let maxHeadBytes = 64 << 10

    init(_ request: OutboundRequest, maxBodyBytes: Int, exchange: Exchange) {
        self.request = request
        self.maxBodyBytes = maxBodyBytes
        self.exchange = exchange
    }

    func run() -> Result<OutboundResponse, OutboundError> {
        guard ccurl_load() != 0 else { return .failure(.network("libcurl.so.4 could not be loaded")) }
        guard let handle = ccurl_easy_init() else { return .failure(.network("libcurl could not start a transfer")) }
        var headerList: UnsafeMutableRawPointer?
        let errorText = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CCURL_ERROR_SIZE))
        errorText.initialize(repeating: 0, count: Int(CCURL_ERROR_SIZE))
        defer {
            ccurl_easy_cleanup(handle)
            if let headerList { ccurl_slist_free_all(headerList) }
            errorText.deallocate()
        }
        for line in requestHeaderLines() { headerList = ccurl_slist_append(headerList, line) }
        let context = Unmanaged.passUnretained(self).toOpaque()
        configure(handle, headerList: headerList, errorText: errorText, context: context)
        let code = ccurl_easy_perform(handle)
        if overLimit || code == CCURLE_FILESIZE_EXCEEDED { return .failure(.tooLarge(limit: maxBodyBytes)) }
        guard code == CCURLE_OK else {
            let detail = String(cString: errorText)
            return .failure(.network(detail.isEmpty ? String(cString: ccurl_strerror(code)) : detail))
        }
        let status = ccurl_response_code(handle)
        return .success(OutboundResponse(status: status, headers: headers, body: body, url: request.url))
    }

    private func requestHeaderLines() -> [String] {
        var lines = request.headers.map { "\($0.name): \($0.value)" }
        // No `Expect: 100-continue` round trip before a body.
        if request.header("Expect") == nil { lines.append("Expect:") }
        return lines
    }

    private func configure(
        _ handle: UnsafeMutableRawPointer, headerList: UnsafeMutableRawPointer?, errorText: UnsafeMutablePointer<CChar>,
        context: UnsafeMutableRawPointer
    ) {
        ccurl_setopt_pointer(handle, CCURLOPT_URL, request.url.absoluteString)
        ccurl_setopt_long(handle, CCURLOPT_PROTOCOLS, Int(CCURLPROTO_HTTP | CCURLPROTO_HTTPS))
        ccurl_setopt_long(handle, CCURLOPT_NOSIGNAL, 1)
        ccurl_setopt_long(handle, CCURLOPT_FOLLOWLOCATION, 0)
        ccurl_setopt_pointer(handle, CCURLOPT_ERRORBUFFER, errorText)
        ccurl_setopt_pointer(handle, CCURLOPT_HTTPHEADER, headerList)
        ccurl_setopt_offset(handle, CCURLOPT_MAXFILESIZE_LARGE, Int64(maxBodyBytes))
        if request.method == "HEAD" {
            ccurl_setopt_long(handle, CCURLOPT_NOBODY, 1)
        } else {
            ccurl_setopt_pointer(handle, CCURLOPT_CUSTOMREQUEST, request.method)
            if !request.body.isEmpty || request.method != "GET" {
                ccurl_setopt_offset(handle, CCURLOPT_POSTFIELDSIZE_LARGE, Int64(request.body.count))
                // An empty body still needs a pointer; curl copies `count` (0) bytes from it.
                let bytes = request.body.isEmpty ? [0] : request.body
                _ = bytes.withUnsafeBytes { ccurl_setopt_pointer(handle, CCURLOPT_COPYPOSTFIELDS, $0.baseAddress) }
            }
        }
        ccurl_setopt_data_callback(handle, CCURLOPT_WRITEFUNCTION) { bytes, size, count, context in
            Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue().received(bytes, size * count)
        }
        ccurl_setopt_pointer(handle, CCURLOPT_WRITEDATA, context)
        ccurl_setopt_data_callback(handle, CCURLOPT_HEADERFUNCTION) { bytes, size, count, context in
            Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue().receivedHeader(bytes, size * count)
        }
        ccurl_setopt_pointer(handle, CCURLOPT_HEADERDATA, context)
        ccurl_setopt_long(handle, CCURLOPT_NOPROGRESS, 0)
        ccurl_setopt_progress_callback(handle, CCURLOPT_XFERINFOFUNCTION) { context, _, _, _, _ in
            Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue().exchange.isStopped ? 1 : 0
        }
        ccurl_setopt_pointer(handle, CCURLOPT_XFERINFODATA, context)
        ccurl_setopt_socket_callback(handle, CCURLOPT_SOCKOPTFUNCTION) { context, socket, _ in
            Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue().exchange.opened(socket) ? 0 : 1
        }
        ccurl_setopt_pointer(handle, CCURLOPT_SOCKOPTDATA, context)
        ccurl_setopt_close_callback(handle, CCURLOPT_CLOSESOCKETFUNCTION) { context, socket in
            Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue().exchange.close(socket)
            return 0
        }
        ccurl_setopt_pointer(handle, CCURLOPT_CLOSESOCKETDATA, context)
    }

    /// Body bytes: kept up to the limit; past it, refused, which ends the transfer.
    private func received(_ bytes: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        guard !exchange.isStopped else { return 0 }
        guard body.count + count <= maxBodyBytes else {
            overLimit = true
            return 0
        }
        if let bytes { body.append(contentsOf: UnsafeRawBufferPointer(start: bytes, count: count)) }
        return count
    }

    /// One line of a response head (a status line starts a new head: `100 Continue` comes before the real one).
    private func receivedHeader(_ bytes: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        headBytes += count
        guard headBytes <= CurlTransfer.maxHeadBytes else {
            overLimit = true
            return 0
        }
        guard let bytes else { return count }
        let line = String(decoding: UnsafeRawBufferPointer(start: bytes, count: count), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            headers = []
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            headers.append((name, value))
        }
        return count
    }
}
