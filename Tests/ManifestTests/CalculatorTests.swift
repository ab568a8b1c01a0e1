import Testing

@testable import HostApp
@testable import HostCore
@testable import IntegrationContract
@testable import Logging
@testable import Manifests
@testable import Platforms
@testable import Plugins

@Suite struct CalculatorTests {
    @Test(arguments: [
        ("1+1", 2.0), ("2*3+4", 10), ("2*(3+4)", 14), ("-3^2", -9), ("2^3^2", 512), ("2**10", 1024),
        ("7 % 4", 3), ("10/4", 2.5), ("sqrt(16) + abs(-2)", 6), ("min(3, 1, 2) + max(4, 5)", 6), ("round(2.5)", 3),
        ("floor(-1.5)", -2), ("ceil(1.2)", 2), ("1e3 + .5", 1000.5), ("--2", 2), ("ln(exp(2))", 2), ("log(1000)", 3),
    ])
    func evaluates(expression: String, expected: Double) throws {
        #expect(abs(try Calculator.evaluate(expression) - expected) < 1e-9)
    }

    @Test func constants() throws {
        #expect(try Calculator.evaluate("pi") == Double.pi)
        #expect(abs(try Calculator.evaluate("e") - 2.718281828459045) < 1e-12)
    }

    @Test(arguments: [
        ("", "unexpected end of expression"),
        ("1 +", "unexpected end of expression"),
        ("(1", "missing ')' at 3"),
        ("1)", "unexpected ')' at 2"),
        ("1/0", "division by zero"),
        ("5 % 0", "division by zero"),
        ("10^400", "the result is not a finite number"),
        ("sqrt(-1)", "sqrt() is not defined there"),
        ("foo(1)", "unknown function 'foo'"),
        ("x", "unknown name 'x'"),
        ("os.system('ls')", "unknown name 'os'"),
        ("1; 2", "unexpected ';' at 2"),
        ("1..2", "'1..2' is not a number"),
        ("sqrt(1, 2)", "sqrt() takes one argument"),
    ])
    func rejects(expression: String, reason: String) {
        #expect(throws: Calculator.Failure(reason: reason)) { try Calculator.evaluate(expression) }
    }

    @Test func boundsLengthAndDepth() {
        #expect(throws: Calculator.Failure(reason: "expression longer than 256 characters")) {
            try Calculator.evaluate(String(repeating: "1+", count: 200) + "1")
        }
        #expect(throws: Calculator.Failure(reason: "nested deeper than 32")) {
            try Calculator.evaluate(String(repeating: "(", count: 40) + "1" + String(repeating: ")", count: 40))
        }
        #expect(throws: Calculator.Failure(reason: "nested deeper than 32")) {
            try Calculator.evaluate(String(repeating: "-", count: 100) + "1")
        }
    }
}

@Suite struct DiceRollTests {
    @Test(arguments: [("2d6", 2, 6, 0), ("d20", 1, 20, 0), ("3d8+2", 3, 8, 2), ("1D10 - 1", 1, 10, -1)])
    func parses(text: String, count: Int, sides: Int, modifier: Int) throws {
        let dice = try DiceRoll(parsing: text, maxDice: 100, maxSides: 1000)
        #expect(dice.count == count && dice.sides == sides && dice.modifier == modifier)
    }

    @Test(arguments: [
        ("", "expected dice such as 2d6, d20 or 3d8+2"), ("2x6", "expected dice such as 2d6, d20 or 3d8+2"),
        ("0d6", "roll between 1 and 100 dice"), ("101d6", "roll between 1 and 100 dice"),
        ("99999999999999999999d6", "expected dice such as 2d6, d20 or 3d8+2"),
        ("2d1", "dice have between 2 and 1000 sides"), ("2d1001", "dice have between 2 and 1000 sides"),
    ])
    func rejects(text: String, reason: String) {
        #expect(throws: DiceRoll.Failure(reason: reason)) { try DiceRoll(parsing: text, maxDice: 100, maxSides: 1000) }
    }

    @Test func everyFaceComesUp() throws {
        var generator = SystemRandomNumberGenerator()
        let (rolls, total) = try DiceRoll(parsing: "600d6", maxDice: 1000, maxSides: 6).roll(using: &generator)
        #expect(Set(rolls) == Set(1...6))
        #expect(total == rolls.reduce(0, +))
    }
}
