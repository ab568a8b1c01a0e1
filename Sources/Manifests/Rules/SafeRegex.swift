import Foundation

/// A regular expression compiled at load time, matched with bounds: input longer than `maxLength` UTF-8 bytes is
/// refused, and a match that runs past its deadline (or is cancelled) is abandoned, so a pathological pattern
/// cannot hold a thread beyond its limit. Runs call it through a `RegexPool`, never on a handler thread.
struct SafeRegex: Sendable {
    // NSRegularExpression is immutable after creation and documented as safe to use from several threads.
    private let regex: NSRegularExpression
    let pattern: String
    /// The named groups, `(?<name>...)`, in pattern order: each becomes a variable on a match.
    let groupNames: [String]
    let maxLength: Int

    /// What a match attempt found.
    enum Outcome: Equatable {
        case match([String: String])
        case noMatch
        case tooLong
        case timedOut
        /// The `RegexPool`'s queue was full: not tried.
        case busy
    }

    struct CompileError: Error {
        let reason: String
    }

    init(pattern: String, caseInsensitive: Bool = false, maxLength: Int = 4096) throws(CompileError) {
        do {
            regex = try NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : [])
        } catch {
            throw CompileError(reason: "invalid regular expression: \(pattern)")
        }
        self.pattern = pattern
        self.groupNames = SafeRegex.namedGroups(in: pattern)
        self.maxLength = maxLength
    }

    /// Finds the first match in `text`, giving up at `deadline` or once `cancelled` is set; on the calling thread.
    func firstMatch(in text: String, until deadline: ContinuousClock.Instant, cancelled: CancellationFlag? = nil) -> Outcome {
        guard text.utf8.count <= maxLength else { return .tooLong }
        let nsText = text as NSString
        var found: NSTextCheckingResult?
        var timedOut = false
        regex.enumerateMatches(in: text, options: [.reportProgress], range: NSRange(location: 0, length: nsText.length)) {
            result, _, stop in
            if let result {
                found = result
                stop.pointee = true
            } else if ContinuousClock.now >= deadline || cancelled?.isSet == true {
                timedOut = true
                stop.pointee = true
            }
        }
        guard let found else { return timedOut ? .timedOut : .noMatch }
        var captures: [String: String] = [:]
        for name in groupNames {
            let range = found.range(withName: name)
            captures[name] = range.location == NSNotFound ? "" : nsText.substring(with: range)
        }
        return .match(captures)
    }

    /// The names of `(?<name>...)` groups, skipping escapes and character classes.
    static func namedGroups(in pattern: String) -> [String] {
        let chars = Array(pattern)
        var names: [String] = []
        var index = 0
        var inClass = false
        while index < chars.count {
            let c = chars[index]
            if c == "\\" {
                index += 2
                continue
            }
            if inClass {
                if c == "]" { inClass = false }
            } else if c == "[" {
                inClass = true
            } else if c == "(", index + 3 < chars.count, chars[index + 1] == "?", chars[index + 2] == "<",
                chars[index + 3].isLetter
            {
                var end = index + 3
                while end < chars.count && chars[end] != ">" { end += 1 }
                names.append(String(chars[(index + 3)..<end]))
                index = end
            }
            index += 1
        }
        return names
    }
}
