import HTTPTypes
import IntegrationContract
import JSON
import Sandbox

/// What a plugin declares about itself — name, summary, commands, routes — as a worker reports it to the host in
/// its `loaded` frame. The host checks it again: a worker runs untrusted code and may say anything.
struct PluginInfo: Sendable {
    let name: String
    let summary: String
    let commands: [String]
    let routes: [IntegrationRoute]
    /// What the worker's sandbox enforced and what this kernel does not offer.
    var confinement = SandboxReport()

    init(_ descriptor: PluginDescriptor) {
        name = descriptor.name
        summary = descriptor.summary
        commands = descriptor.commands
        routes = descriptor.routes
    }

    /// `{"name", "summary", "commands": [...], "routes": [{"pattern", "methods": [...]}], "sandbox": {"enforced":
    /// [...], "unavailable": [...]}}`
    var jsonValue: JSONValue {
        .object([
            "name": .string(name), "summary": .string(summary), "commands": .array(commands.map(JSONValue.string)),
            "routes": .array(
                routes.map { route in
                    .object([
                        "pattern": .string(route.pattern.description),
                        "methods": .array(route.methods.map(\.rawValue).sorted().map(JSONValue.string)),
                    ])
                }),
            "sandbox": .object([
                "enforced": .array(confinement.enforced.map(JSONValue.string)),
                "unavailable": .array(confinement.unavailable.map(JSONValue.string)),
            ]),
        ])
    }

    /// Reads and checks what `jsonValue` writes, with the rules the in-process loader applies to a descriptor.
    init(json: JSONValue) throws(PluginDescriptor.Invalid) {
        guard let name = json["name"]?.stringValue, IntegrationName.isValid(name) else {
            throw PluginDescriptor.Invalid(description: "the worker reported no valid plugin name")
        }
        let commands = json["commands"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard !commands.isEmpty, commands.count <= PluginDescriptor.maximumEntries,
            commands.allSatisfy(IntegrationName.isValid)
        else {
            throw PluginDescriptor.Invalid(description: "plugin \(name): the worker reported invalid commands")
        }
        var routes: [IntegrationRoute] = []
        for entry in json["routes"]?.arrayValue ?? [] {
            guard routes.count < PluginDescriptor.maximumEntries, let text = entry["pattern"]?.stringValue,
                let pattern = try? RoutePattern(text)
            else {
                throw PluginDescriptor.Invalid(description: "plugin \(name): the worker reported an invalid route")
            }
            let methods = (entry["methods"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ",")
            routes.append(
                IntegrationRoute(
                    pattern: pattern, methods: try PluginDescriptor.methods(methods, route: text, plugin: name)))
        }
        self.name = name
        self.summary = String((json["summary"]?.stringValue ?? "").prefix(512))
        self.commands = commands
        self.routes = routes
        self.confinement = SandboxReport(
            enforced: json["sandbox"]?["enforced"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            unavailable: json["sandbox"]?["unavailable"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }
}
