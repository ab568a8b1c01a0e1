/// An admin's grant to one plugin, from `--plugin-grant NAME=network` or
/// `--plugin-grant NAME=read:/etc/ssl,write:/var/lib/x`: items are comma-separated, each `network`, `read:PATH` or
/// `write:PATH` with an absolute PATH; NAME is 1 to 64 of A-Z, a-z, 0-9, `_` and `-`.
public struct PluginGrant: Sendable, Equatable {
    /// The plugin's name.
    public var plugin: String
    /// Whether the plugin may use TCP and AF_INET/AF_INET6 sockets.
    public var network: Bool
    /// Extra paths the plugin may read.
    public var read: [String]
    /// Extra paths the plugin may read and write.
    public var write: [String]

    public init(plugin: String, network: Bool = false, read: [String] = [], write: [String] = []) {
        self.plugin = plugin
        self.network = network
        self.read = read
        self.write = write
    }

    /// Parses `NAME=ITEMS` (the value of one `--plugin-grant`).
    public init(parsing argument: String) throws {
        func fail(_ problem: PluginGrantError.Problem) -> PluginGrantError {
            PluginGrantError(argument: argument, problem: problem)
        }
        guard let equals = argument.firstIndex(of: "=") else { throw fail(.noEquals) }
        let name = argument[..<equals]
        if name.isEmpty { throw fail(.emptyName) }
        if name.count > 64 { throw fail(.nameTooLong) }
        if let bad = name.first(where: { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-")) }) {
            throw fail(.invalidNameCharacter(bad))
        }
        let items = argument[argument.index(after: equals)...]
        if items.isEmpty { throw fail(.noItems) }

        self.init(plugin: String(name))
        for item in items.split(separator: ",", omittingEmptySubsequences: false) {
            if item.isEmpty { throw fail(.emptyItem) }
            if item == "network" {
                network = true
                continue
            }
            guard let colon = item.firstIndex(of: ":"), ["read", "write"].contains(item[..<colon]) else {
                throw fail(.unknownItem(String(item)))
            }
            let path = String(item[item.index(after: colon)...])
            if path.isEmpty { throw fail(.missingPath(String(item))) }
            if !path.hasPrefix("/") { throw fail(.relativePath(String(item))) }
            if item[..<colon] == "read" { read.append(path) } else { write.append(path) }
        }
    }
}

/// Why a `--plugin-grant` value was refused.
public struct PluginGrantError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the argument.
    public enum Problem: Sendable, Equatable {
        case noEquals, emptyName, nameTooLong, invalidNameCharacter(Character), noItems, emptyItem
        case unknownItem(String), missingPath(String), relativePath(String)
    }

    /// The whole argument, as given.
    public var argument: String
    public var problem: Problem

    public init(argument: String, problem: Problem) {
        self.argument = argument
        self.problem = problem
    }

    public var description: String {
        let why =
            switch problem {
            case .noEquals: "expected NAME=ITEMS, e.g. parrot=network or parrot=read:/etc/ssl,write:/var/lib/parrot"
            case .emptyName: "the plugin name before '=' is empty"
            case .nameTooLong: "the plugin name is longer than 64 characters"
            case .invalidNameCharacter(let character):
                "the plugin name has '\(character)'; it may use only A-Z, a-z, 0-9, '_' and '-'"
            case .noItems: "nothing is granted after '='; items are network, read:PATH and write:PATH"
            case .emptyItem: "an item is empty (two commas in a row, or a comma at the start or end)"
            case .unknownItem(let item): "unknown item '\(item)'; items are network, read:PATH and write:PATH"
            case .missingPath(let item): "'\(item)' needs a path"
            case .relativePath(let item): "the path in '\(item)' is not absolute"
            }
        return "--plugin-grant \(argument): \(why)"
    }
}
