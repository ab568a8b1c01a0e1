/// The sizes the request parser refuses to go past.
struct HTTPParserLimits: Sendable {
    /// Longest request line, without its CRLF (414 beyond).
    var maxRequestLineBytes: Int
    /// Longest header block after the request line, and longest trailer block (431 beyond).
    var maxHeaderBytes: Int
    /// Most header fields, and most trailer fields (431 beyond).
    var maxHeaderCount: Int
    /// Longest chunk-size line, extensions included (400 beyond).
    var maxChunkLineBytes: Int = 4096

    init(maxRequestLineBytes: Int, maxHeaderBytes: Int, maxHeaderCount: Int) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
    }

    init(_ configuration: HTTPServerConfiguration) {
        self.init(
            maxRequestLineBytes: configuration.maxRequestLineBytes,
            maxHeaderBytes: configuration.maxHeaderBytes,
            maxHeaderCount: configuration.maxHeaderCount)
    }
}
