extension ManifestIntegration {
    /// What a request must prove to pass this manifest's `rules`, in words for listings, or `nil` when a request
    /// can pass them without proving anything. Each entry of `rules` must hold, so their requirements add up
    /// (`and`); `any` requires something only when every branch does (`a | b`); `not` and the `match` and `regex`
    /// rules prove nothing. The words: `verified sender`, `token HEADER`, `signature HEADER`, `ip allow list`.
    public var authRequirement: String? {
        let parts = checks.compactMap { $0.rule.authRequirement }
        guard !parts.isEmpty else { return nil }
        return parts.count == 1 ? parts[0].text : parts.map(\.grouped).joined(separator: " and ")
    }
}

extension ManifestRule {
    /// A rule's requirement: its words, and whether they are alternatives (which need parentheses inside `and`).
    struct AuthRequirement {
        let text: String
        let isAlternatives: Bool

        var grouped: String { isAlternatives ? "(\(text))" : text }
    }

    var authRequirement: AuthRequirement? {
        switch self {
        case .verified: return AuthRequirement(text: "verified sender", isAlternatives: false)
        case .token(let header, _, _): return AuthRequirement(text: "token \(header)", isAlternatives: false)
        case .signature(let check): return AuthRequirement(text: "signature \(check.header)", isAlternatives: false)
        case .ip: return AuthRequirement(text: "ip allow list", isAlternatives: false)
        case .not, .match, .regex: return nil
        case .all(let rules):
            let parts = rules.compactMap(\.authRequirement)
            guard parts.count > 1 else { return parts.first }
            return AuthRequirement(text: parts.map(\.grouped).joined(separator: " and "), isAlternatives: false)
        case .any(let rules):
            var parts: [AuthRequirement] = []
            for rule in rules {
                guard let part = rule.authRequirement else { return nil }
                parts.append(part)
            }
            guard parts.count > 1 else { return parts.first }
            let texts = parts.map { $0.isAlternatives ? $0.text : ($0.text.contains(" and ") ? "(\($0.text))" : $0.text) }
            return AuthRequirement(text: texts.joined(separator: " | "), isAlternatives: true)
        }
    }
}
