import IntegrationContract
import Platforms

/// Tokens that look mistyped, given the integrations loaded: a room token naming no loaded integration is never
/// used, and a global token whose value starts with a loaded integration's name and a colon was most likely meant
/// as a room token with a room id that is not all digits (`abc:deploy:X`). Warnings name tokens, never values.
public enum TokenWarnings {
    public static func warnings(for tokens: Tokens, loaded: Set<String>) -> [String] {
        var warnings: [String] = []
        for token in tokens.rooms where !loaded.contains(token.integration) {
            warnings.append(
                "room token \(token.room):\(token.integration) names no loaded integration: it is never used")
        }
        for name in tokens.global.keys.sorted() where name != "admin" && !PlatformSecrets.isSetting(name) {
            guard let prefix = tokens.global[name]?.split(separator: ":", maxSplits: 1).first,
                tokens.global[name]!.contains(":"), loaded.contains(String(prefix))
            else { continue }
            warnings.append(
                "token \(name) looks like ROOM:INTEGRATION:VALUE, but room ids are all digits: it is taken as a "
                    + "global token named \(name)")
        }
        return warnings
    }
}
