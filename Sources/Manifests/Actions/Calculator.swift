import Foundation

/// Safe arithmetic for the `calc` action: a small recursive-descent parser over numbers, `+ - * / %`, `^` (or
/// `**`), parentheses, the constants `pi` and `e`, and the functions `sqrt abs floor ceil round ln log exp sin
/// cos tan min max`. Nothing is evaluated as code; input length and nesting depth are bounded.
struct Calculator {
    struct Failure: Error, Equatable {
        let reason: String
    }

    static let maxLength = 256
    static let maxDepth = 32

    /// Evaluates `expression`; errors name what is wrong (`division by zero`, `unexpected ')' at 4`).
    static func evaluate(_ expression: String) throws(Failure) -> Double {
        guard expression.utf8.count <= maxLength else {
            throw Failure(reason: "expression longer than \(maxLength) characters")
        }
        var parser = Calculator(text: Array(expression.unicodeScalars))
        let value = try parser.expression(depth: 0)
        parser.skipSpaces()
        guard parser.position == parser.text.count else {
            throw Failure(reason: "unexpected '\(parser.text[parser.position])' at \(parser.position + 1)")
        }
        guard value.isFinite else { throw Failure(reason: "the result is not a finite number") }
        return value
    }

    private let text: [Unicode.Scalar]
    private var position = 0

    private init(text: [Unicode.Scalar]) { self.text = text }

    private mutating func skipSpaces() {
        while position < text.count && (text[position] == " " || text[position] == "\t") { position += 1 }
    }

    private mutating func peek() -> Unicode.Scalar? {
        skipSpaces()
        return position < text.count ? text[position] : nil
    }

    private mutating func expression(depth: Int) throws(Failure) -> Double {
        guard depth < Calculator.maxDepth else { throw Failure(reason: "nested deeper than \(Calculator.maxDepth)") }
        var value = try term(depth: depth)
        while let c = peek(), c == "+" || c == "-" {
            position += 1
            let rhs = try term(depth: depth)
            value = c == "+" ? value + rhs : value - rhs
        }
        return value
    }

    private mutating func term(depth: Int) throws(Failure) -> Double {
        var value = try unary(depth: depth)
        while let c = peek(), c == "*" || c == "/" || c == "%" {
            if c == "*" && position + 1 < text.count && text[position + 1] == "*" { break }
            position += 1
            let rhs = try unary(depth: depth)
            switch c {
            case "*": value *= rhs
            case "/":
                guard rhs != 0 else { throw Failure(reason: "division by zero") }
                value /= rhs
            default:
                guard rhs != 0 else { throw Failure(reason: "division by zero") }
                value = value.truncatingRemainder(dividingBy: rhs)
            }
        }
        return value
    }

    private mutating func unary(depth: Int) throws(Failure) -> Double {
        guard depth < Calculator.maxDepth else { throw Failure(reason: "nested deeper than \(Calculator.maxDepth)") }
        if let c = peek(), c == "-" || c == "+" {
            position += 1
            let value = try unary(depth: depth + 1)
            return c == "-" ? -value : value
        }
        return try power(depth: depth)
    }

    private mutating func power(depth: Int) throws(Failure) -> Double {
        let base = try primary(depth: depth)
        guard let c = peek() else { return base }
        if c == "^" {
            position += 1
        } else if c == "*" && position + 1 < text.count && text[position + 1] == "*" {
            position += 2
        } else {
            return base
        }
        let exponent = try unary(depth: depth + 1)
        let value = Foundation.pow(base, exponent)
        guard value.isFinite else { throw Failure(reason: "the result is not a finite number") }
        return value
    }

    private mutating func primary(depth: Int) throws(Failure) -> Double {
        guard let c = peek() else { throw Failure(reason: "unexpected end of expression") }
        if c == "(" {
            position += 1
            let value = try expression(depth: depth + 1)
            guard peek() == ")" else { throw Failure(reason: "missing ')' at \(position + 1)") }
            position += 1
            return value
        }
        if c.properties.numericType != nil && c.isASCII || c == "." { return try number() }
        if c.isASCII && c.properties.isAlphabetic { return try name(depth: depth) }
        throw Failure(reason: "unexpected '\(c)' at \(position + 1)")
    }

    private mutating func number() throws(Failure) -> Double {
        let start = position
        while position < text.count, text[position].isASCII,
            text[position].properties.numericType != nil || text[position] == "."
        {
            position += 1
        }
        if position < text.count, text[position] == "e" || text[position] == "E" {
            var end = position + 1
            if end < text.count, text[end] == "+" || text[end] == "-" { end += 1 }
            if end < text.count, text[end].isASCII, text[end].properties.numericType != nil {
                position = end
                while position < text.count, text[position].isASCII, text[position].properties.numericType != nil {
                    position += 1
                }
            }
        }
        let literal = String(String.UnicodeScalarView(text[start..<position]))
        guard let value = Double(literal) else { throw Failure(reason: "'\(literal)' is not a number") }
        return value
    }

    private mutating func name(depth: Int) throws(Failure) -> Double {
        let start = position
        while position < text.count, text[position].isASCII, text[position].properties.isAlphabetic {
            position += 1
        }
        let name = String(String.UnicodeScalarView(text[start..<position])).lowercased()
        switch name {
        case "pi": return Double.pi
        case "e": return M_E
        default: break
        }
        guard peek() == "(" else { throw Failure(reason: "unknown name '\(name)'") }
        position += 1
        var arguments: [Double] = []
        if peek() != ")" {
            arguments.append(try expression(depth: depth + 1))
            while peek() == "," {
                position += 1
                arguments.append(try expression(depth: depth + 1))
            }
        }
        guard peek() == ")" else { throw Failure(reason: "missing ')' at \(position + 1)") }
        position += 1
        return try Calculator.call(name, arguments)
    }

    private static func call(_ name: String, _ arguments: [Double]) throws(Failure) -> Double {
        if name == "min" || name == "max" {
            guard !arguments.isEmpty else { throw Failure(reason: "\(name)() needs at least one argument") }
            return name == "min" ? arguments.min()! : arguments.max()!
        }
        let unary: [String: (Double) -> Double] = [
            "sqrt": { $0.squareRoot() }, "abs": { Swift.abs($0) }, "floor": { $0.rounded(.down) },
            "ceil": { $0.rounded(.up) }, "round": { $0.rounded() }, "ln": { Foundation.log($0) },
            "log": { Foundation.log10($0) }, "exp": { Foundation.exp($0) }, "sin": { Foundation.sin($0) },
            "cos": { Foundation.cos($0) }, "tan": { Foundation.tan($0) },
        ]
        guard let function = unary[name] else { throw Failure(reason: "unknown function '\(name)'") }
        guard arguments.count == 1 else { throw Failure(reason: "\(name)() takes one argument") }
        let value = function(arguments[0])
        guard value.isFinite else { throw Failure(reason: "\(name)() is not defined there") }
        return value
    }
}
