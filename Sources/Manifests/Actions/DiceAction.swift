import IntegrationContract
import JSON

/// `{"dice": "{{query | default: \"1d6\"}}", "into": "roll"}`: rolls dice (see `DiceRoll`). The result is
/// `{"total", "rolls", "text", "dice"}`: `text` is the rolls joined with ` + `, `dice` the normalized notation.
struct DiceAction: ActionStep {
    let expression: Template
    let maxDice: Int
    let maxSides: Int

    static func decode(_ body: JSONValue, at path: String, context: ManifestDecodingContext) -> DiceAction? {
        let reader = context.reader
        if case .string(let source) = body {
            return context.template(source, at: path).map { DiceAction(expression: $0, maxDice: 100, maxSides: 1000) }
        }
        guard let members = reader.object(body, at: path, allowed: ["roll", "max_dice", "max_sides"]) else { return nil }
        let before = reader.problems.count
        let expression = context.template(members, "roll", at: path, required: true)
        let maxDice = reader.integer(members, "max_dice", at: path, in: 1...1000) ?? 100
        let maxSides = reader.integer(members, "max_sides", at: path, in: 2...1_000_000) ?? 1000
        guard reader.problems.count == before, let expression else { return nil }
        return DiceAction(expression: expression, maxDice: maxDice, maxSides: maxSides)
    }

    func perform(in scope: ManifestScope, reply: inout Reply?) async throws -> JSONValue? {
        let dice: DiceRoll
        do {
            dice = try DiceRoll(parsing: expression.render(in: scope), maxDice: maxDice, maxSides: maxSides)
        } catch {
            throw ActionFailure(.badRequest("dice: \(error.reason)"))
        }
        var generator = SystemRandomNumberGenerator()
        let (rolls, total) = dice.roll(using: &generator)
        var notation = "\(dice.count)d\(dice.sides)"
        if dice.modifier != 0 { notation += dice.modifier > 0 ? "+\(dice.modifier)" : "\(dice.modifier)" }
        return .object([
            "total": .number(Double(total)),
            "rolls": .array(rolls.map { .number(Double($0)) }),
            "text": .string(rolls.map(String.init).joined(separator: " + ")),
            "dice": .string(notation),
        ])
    }
}
