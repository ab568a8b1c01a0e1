/// A `POST /` body that is no admin command but looks like an attempt at one (`sav storage.json`, `SAVE x`,
/// `erase now`, `REPLAY id`): one short line of at most three words, the first within one typo of `save` or `load`,
/// or two of `erase` or `replay`, in any case. It answers 400 naming the commands instead of "body is not JSON". A JSON body never
/// matches, so a HipChat notification is never taken for one.
enum AdminCommandTypo {
    static let message = "not an admin command: expected save FILE | load FILE | erase | replay REQUEST_ID"

    static func matches(_ body: [UInt8]) -> Bool {
        guard body.count <= 256, let first = body.first(where: { !isSpace($0) }), isLetter(first) else { return false }
        let text = String(decoding: body, as: UTF8.self)
        let lines = text.split(whereSeparator: \.isNewline)
        guard lines.count == 1 else { return false }
        let words = lines[0].split(whereSeparator: \.isWhitespace)
        guard (1...3).contains(words.count) else { return false }
        let word = Array(words[0].lowercased().utf8)
        return ["save", "load", "erase", "replay"].contains { command in
            let command = Array(command.utf8)
            return distance(word, command) <= (command.count >= 5 ? 2 : 1)
        }
    }

    /// The edit distance counting a swap of neighbours as one edit (optimal string alignment), for short words.
    static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        guard abs(a.count - b.count) <= 2, a.count <= 16 else { return .max }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in stride(from: 1, through: a.count, by: 1) {
            for j in stride(from: 1, through: b.count, by: 1) {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
    }
}
