import HostCore

/// The admin command `replay REQUEST_ID`, sent as the whole body of `POST /` like `save FILE`: runs a recorded
/// delivery again.
struct ReplayCommand: Equatable {
    /// The request id of the delivery to replay; `nil` when the body named none or a malformed one.
    let id: String?

    /// Reads a body as a replay command; `nil` when its first word is not `replay`.
    init?(body: [UInt8]) {
        guard body.count <= 256, body.first != UInt8(ascii: "{") else { return nil }
        let words = String(decoding: body, as: UTF8.self).split { $0.isWhitespace }
        guard words.first == "replay" else { return nil }
        id = words.count == 2 ? RequestID.sanitized(String(words[1])) : nil
    }
}
