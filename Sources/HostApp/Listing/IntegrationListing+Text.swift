extension IntegrationListing {
    /// The listing as `integration-host list` prints it: a block per integration, then the problems (`error:`) and
    /// the token warnings (`warning:`), then a count.
    public var text: String {
        var lines: [String] = []
        for item in items {
            lines.append("\(item.name) (\(item.kind), \(item.file))\(item.summary.isEmpty ? "" : ": \(item.summary)")")
            lines.append("  commands: \(item.commands.isEmpty ? "none" : item.commands.map { "/\($0)" }.joined(separator: ", "))")
            lines.append("  routes:   \(item.routes.map(\.description).joined(separator: ", "))")
            lines.append("  auth:     \(item.auth.summary)")
            if let reason = item.unavailableReason { lines.append("  state:    degraded: \(reason)") }
            for conflict in item.conflicts { lines.append("  conflict: \(conflict)") }
        }
        lines += problems.flatMap { $0.split(separator: "\n").map { "error: \($0)" } }
        lines += warnings.map { "warning: \($0)" }
        lines.append(
            "\(items.count) integrations, \(conflicts.count) conflicts, \(problems.count) problems, \(warnings.count) warnings")
        return lines.joined(separator: "\n")
    }
}
