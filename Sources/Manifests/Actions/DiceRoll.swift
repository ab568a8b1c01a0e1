/// Dice notation for the `dice` action: `NdM`, `dM`, with an optional `+K` or `-K` (`2d6`, `d20+3`). Counts and
/// sides are bounded so a request cannot ask for a billion rolls.
struct DiceRoll: Equatable {
    struct Failure: Error, Equatable {
        let reason: String
    }

    let count: Int
    let sides: Int
    let modifier: Int

    init(parsing text: String, maxDice: Int, maxSides: Int) throws(Failure) {
        let compact = text.filter { $0 != " " }.lowercased()
        let usage = "expected dice such as 2d6, d20 or 3d8+2"
        guard let d = compact.firstIndex(of: "d") else { throw Failure(reason: usage) }
        let countText = compact[..<d]
        var rest = compact[compact.index(after: d)...]
        var modifier = 0
        if let sign = rest.firstIndex(where: { $0 == "+" || $0 == "-" }) {
            guard let m = Int(rest[rest.index(after: sign)...]), (0...1_000_000).contains(m) else {
                throw Failure(reason: usage)
            }
            modifier = rest[sign] == "-" ? -m : m
            rest = rest[..<sign]
        }
        guard let count = countText.isEmpty ? 1 : Int(countText), let sides = Int(rest) else {
            throw Failure(reason: usage)
        }
        guard (1...maxDice).contains(count) else { throw Failure(reason: "roll between 1 and \(maxDice) dice") }
        guard (2...maxSides).contains(sides) else { throw Failure(reason: "dice have between 2 and \(maxSides) sides") }
        self.count = count
        self.sides = sides
        self.modifier = modifier
    }

    /// Rolls with `generator`: the single rolls and their total including the modifier.
    func roll(using generator: inout some RandomNumberGenerator) -> (rolls: [Int], total: Int) {
        let rolls = (0..<count).map { _ in Int.random(in: 1...sides, using: &generator) }
        return (rolls, rolls.reduce(modifier, +))
    }
}
