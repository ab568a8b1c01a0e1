/// Why a request could not be read. Each maps to the status the server answers with before closing.
enum HTTPParseError: Error, Equatable, Sendable {
    case requestLineTooLong
    case headerBlockTooLarge
    case tooManyHeaders
    case malformed(String)
    case unsupportedTransferEncoding
    case unknownMethod
    case unsupportedVersion
    case bodyTooLarge

    var status: HTTPStatus {
        switch self {
        case .requestLineTooLong: return 414
        case .headerBlockTooLarge, .tooManyHeaders: return 431
        case .malformed, .unsupportedTransferEncoding: return 400
        case .unknownMethod: return 501
        case .unsupportedVersion: return 505
        case .bodyTooLarge: return 413
        }
    }

    var message: String {
        switch self {
        case .requestLineTooLong: return "request line too long"
        case .headerBlockTooLarge: return "header block too large"
        case .tooManyHeaders: return "too many header fields"
        case .malformed(let why): return "bad request: \(why)"
        case .unsupportedTransferEncoding: return "unsupported transfer encoding"
        case .unknownMethod: return "method not implemented"
        case .unsupportedVersion: return "HTTP version not supported"
        case .bodyTooLarge: return "request body too large"
        }
    }
}
