import JSON

/// One entry of a manifest's `actions`: a step, plus the optional `if` (a rule), `into` (the variable that takes
/// the step's result) and `on_error` (what a failure does).
struct ManifestAction: Sendable {
    let step: any ActionStep
    let condition: ManifestRule?
    let into: String?
    let onError: FailureResponse?
    /// `actions[2]`, for logs.
    let path: String
    /// The action's kind (`exec`, `reply`), for traces.
    let kind: String

    static let kinds = ["reply", "set", "store", "http", "exec", "calc", "dice", "log"]
    /// Kinds whose result can be kept with `into` and that can fail.
    private static let producing: Set<String> = ["store", "http", "exec", "calc", "dice"]

    static func decode(_ value: JSONValue, at path: String, context: ManifestDecodingContext) -> ManifestAction? {
        let reader = context.reader
        guard let members = reader.object(value, at: path, allowed: Set(kinds).union(["if", "into", "on_error"])),
            let kind = reader.kind(members, at: path, kinds: kinds), let body = members[kind]
        else { return nil }
        let here = ManifestReader.join(path, kind)
        var condition: ManifestRule?
        var ok = true
        if let rule = members["if"] {
            condition = ManifestRule.decode(rule, at: ManifestReader.join(path, "if"), context: context)
            ok = condition != nil
        }
        let step: (any ActionStep)?
        switch kind {
        case "reply": step = ReplyAction.decode(body, at: here, context: context)
        case "set": step = SetAction.decode(body, at: here, context: context)
        case "store": step = StoreAction.decode(body, at: here, context: context)
        case "http": step = HTTPCallAction.decode(body, at: here, context: context)
        case "exec": step = ExecAction.decode(body, at: here, context: context)
        case "calc": step = context.template(body.stringValue ?? "", at: here).map { CalcAction(expression: $0) }
        case "dice": step = DiceAction.decode(body, at: here, context: context)
        default: step = context.template(body.stringValue ?? "", at: here).map { LogAction(message: $0) }
        }
        if (kind == "calc" || kind == "log") && body.stringValue == nil { reader.fail(here, "must be a string") }
        var into: String?
        if let intoValue = members["into"] {
            let intoPath = ManifestReader.join(path, "into")
            if !producing.contains(kind) {
                reader.fail(intoPath, "'\(kind)' has no result to keep")
                ok = false
            } else if let name = intoValue.stringValue, context.define(name, at: intoPath) {
                into = name
            } else {
                if intoValue.stringValue == nil { reader.fail(intoPath, "must be a string") }
                ok = false
            }
        }
        var onError: FailureResponse?
        if let errorValue = members["on_error"] {
            let errorPath = ManifestReader.join(path, "on_error")
            if producing.contains(kind) {
                onError = FailureResponse.decode(
                    errorValue, at: errorPath, defaultStatus: 500, allowContinue: true, context: context)
                ok = ok && onError != nil
            } else {
                reader.fail(errorPath, "'\(kind)' cannot fail")
                ok = false
            }
        }
        guard ok, let step else { return nil }
        return ManifestAction(step: step, condition: condition, into: into, onError: onError, path: path, kind: kind)
    }
}

extension ManifestAction {
    /// ` in 12 ms` for a step that waits (an HTTP call, a program) and was timed from `start`; else nothing.
    func took(since start: ContinuousClock.Instant?) -> String {
        guard let start, step.waits else { return "" }
        let elapsed = ContinuousClock.now - start
        return " in \(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000) ms"
    }
}
