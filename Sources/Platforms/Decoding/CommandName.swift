import Foundation
import IntegrationContract

/// A command's name as the catalog knows it, from a platform's `command` field or a mention's first word:
/// `/echo` → `echo`, `echo` → `echo`.
enum CommandName {
    /// The name without its leading slash, or `nil` when what is left is not a valid name.
    static func parse(_ command: String) -> String? {
        var name = Substring(command.trimmingCharacters(in: .whitespaces))
        if name.hasPrefix("/") { name = name.dropFirst() }
        return IntegrationName.isValid(name) ? String(name) : nil
    }
}
