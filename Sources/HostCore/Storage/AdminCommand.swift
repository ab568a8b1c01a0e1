/// A storage admin command, sent as the whole body of `POST /` (hipchat-integration's wire format):
/// `save FILE`, `load FILE` or `erase`. FILE may be left out when the host runs with `--state FILE`.
public enum AdminCommand: Sendable, Equatable {
    case save(file: String?)
    case load(file: String?)
    case erase

    /// Reads a body as a command; `nil` when it is not one (then it is treated as a notification).
    public init?(body: [UInt8]) {
        guard body.count <= 4096, body.first != UInt8(ascii: "{") else { return nil }
        let words = String(decoding: body, as: UTF8.self).split { $0.isWhitespace }
        switch (words.first, words.count) {
        case ("erase", 1): self = .erase
        case ("save", 1): self = .save(file: nil)
        case ("save", 2): self = .save(file: String(words[1]))
        case ("load", 1): self = .load(file: nil)
        case ("load", 2): self = .load(file: String(words[1]))
        default: return nil
        }
    }
}
