import Foundation

/// Prometheus' text exposition format, version 0.0.4: each metric family's `# HELP` and `# TYPE` lines, then its
/// samples, label values escaped (`\\`, `\"`, `\n`).
struct PrometheusText {
    /// The response's `Content-Type`.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private(set) var text = ""

    /// Starts a family: `type` is `counter`, `gauge` or `histogram`.
    mutating func family(_ name: String, _ type: String, help: String) {
        text += "# HELP \(name) \(PrometheusText.escapedHelp(help))\n# TYPE \(name) \(type)\n"
    }

    /// One sample of the current family.
    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Double) {
        text += name
        if !labels.isEmpty {
            text += "{" + labels.map { "\($0.0)=\"\(PrometheusText.escapedLabel($0.1))\"" }.joined(separator: ",") + "}"
        }
        text += " \(PrometheusText.format(value))\n"
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: Int) {
        sample(name, labels, Double(value))
    }

    /// A label value with `\`, `"` and newlines escaped.
    static func escapedLabel(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// Help text with `\` and newlines escaped.
    static func escapedHelp(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Whole numbers without a fraction; `+Inf` for infinity.
    static func format(_ value: Double) -> String {
        if value == .infinity { return "+Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
