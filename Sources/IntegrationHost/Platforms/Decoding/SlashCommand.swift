import Foundation

/// A slash command's name as the catalog knows it: `/echo` → `echo`.
enum SlashCommand {
    /// The command without its leading slash, or `nil` when what is left is not a valid name.
    static func name(_ command: String) -> String? {
        var name = Substring(command.trimmingCharacters(in: .whitespaces))
        if name.hasPrefix("/") { name = name.dropFirst() }
        return IntegrationName.isValid(name) ? String(name) : nil
    }
}
