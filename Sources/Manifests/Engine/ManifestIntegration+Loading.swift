import Foundation
import HTTPTypes
import IntegrationContract
import JSON

extension ManifestIntegration {
    static let maxFileSize = 1 << 20

    /// `regex_timeout_ms` when a manifest gives none, and the most it may give: a match that needs more than a
    /// second is a pattern to rewrite, and every waiting match holds a place in the host's `RegexPool`.
    static let defaultRegexTimeoutMilliseconds = 250
    static let maxRegexTimeoutMilliseconds = 1000
    static let topLevelKeys: Set<String> = [
        "$schema", "name", "description", "commands", "routes", "methods", "rules", "on_mismatch", "actions",
        "regex_timeout_ms", "limits", "signature_failures", "hook_methods", "parse_json", "content_type",
    ]

    /// Reads and validates a manifest file. Every problem is reported at once, with the file name.
    public static func load(
        contentsOf file: URL, runtime: ManifestRuntime = ManifestRuntime()
    ) throws(ManifestError) -> ManifestIntegration {
        let fileName = file.lastPathComponent
        let data: Data
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
            if let size = attributes[.size] as? Int, size > maxFileSize {
                throw ManifestError(file: fileName, problems: [.init(path: "", reason: "larger than \(maxFileSize) bytes")])
            }
            data = try Data(contentsOf: file)
        } catch let error as ManifestError {
            throw error
        } catch {
            throw ManifestError(file: fileName, problems: [.init(path: "", reason: "cannot read: \(error.localizedDescription)")])
        }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: data)
        } catch {
            let (line, column) = position(of: error.offset, in: data)
            throw ManifestError(
                file: fileName, problems: [.init(path: "", reason: "invalid JSON at line \(line), column \(column): \(error.reason)")])
        }
        return try ManifestIntegration(
            json: json, fileName: fileName, directory: file.deletingLastPathComponent().standardizedFileURL,
            runtime: runtime)
    }

    /// Validates a parsed manifest. `fileName` gives the default name and prefixes messages; `directory` is where
    /// relative exec paths point; `runtime` is what the host shares between its manifests (exec slots, regex pool).
    public init(
        json: JSONValue, fileName: String, directory: URL, runtime: ManifestRuntime = ManifestRuntime()
    ) throws(ManifestError) {
        let reader = ManifestReader()
        let fail = { () -> ManifestError in ManifestError(file: fileName, problems: reader.problems) }
        guard let members = reader.object(json, at: "", allowed: ManifestIntegration.topLevelKeys) else {
            throw ManifestError(file: fileName, problems: [.init(path: "", reason: "a manifest must be a JSON object")])
        }

        let defaultName = fileName.hasSuffix(".json") ? String(fileName.dropLast(5)) : fileName
        let name = reader.string(members, "name", at: "") ?? defaultName
        if !IntegrationName.isValid(name) {
            reader.fail(members["name"] == nil ? "" : "name",
                        "'\(name)' is not a valid integration name ([A-Za-z0-9_-]{1,64})"
                            + (members["name"] == nil ? "; set \"name\" or rename the file" : ""))
        }
        let summary = reader.string(members, "description", at: "") ?? ""

        var commands = [name]
        if let value = members["commands"], let list = reader.strings(value, at: "commands", nonEmpty: false) {
            commands = list
            for (index, command) in list.enumerated() {
                let text = command.hasPrefix("/") ? String(command.dropFirst()) : command
                if !IntegrationName.isValid(text) {
                    reader.fail("commands[\(index)]", "'\(command)' is not a valid command name ([A-Za-z0-9_-]{1,64})")
                }
                commands[index] = text
            }
        }

        var methods: Set<HTTPMethod> = [.post]
        if let value = members["methods"], let parsed = ManifestIntegration.decodeMethods(value, at: "methods", reader: reader) {
            methods = parsed
        }
        var routes: [IntegrationRoute] = []
        if let value = members["routes"] {
            if case .array(let entries) = value {
                for (index, entry) in entries.enumerated() {
                    if let route = ManifestIntegration.decodeRoute(entry, at: "routes[\(index)]", defaultMethods: methods, reader: reader) {
                        routes.append(route)
                    }
                }
            } else {
                reader.fail("routes", "must be an array of paths or {\"path\", \"methods\"} objects")
            }
        }

        var hookMethods = routes.reduce(into: Set<HTTPMethod>([.post])) { $0.formUnion($1.methods) }
        if let value = members["hook_methods"],
            let parsed = ManifestIntegration.decodeMethods(value, at: "hook_methods", reader: reader)
        {
            hookMethods = parsed
        }

        let regexTimeout =
            reader.integer(members, "regex_timeout_ms", at: "", in: 1...ManifestIntegration.maxRegexTimeoutMilliseconds)
            ?? ManifestIntegration.defaultRegexTimeoutMilliseconds
        let signatureFailures = reader.string(members, "signature_failures", at: "") ?? "hard"
        if !["hard", "soft"].contains(signatureFailures) {
            reader.fail("signature_failures", "must be \"hard\" or \"soft\"")
        }
        let payloadContentType = reader.string(members, "content_type", at: "")
        if let payloadContentType, !PayloadContentType.forcible.contains(payloadContentType) {
            reader.fail(
                "content_type",
                "must be one of: " + PayloadContentType.forcible.joined(separator: ", "))
        }
        var jsonParameters: [JSONParameter] = []
        if let value = members["parse_json"], let texts = reader.strings(value, at: "parse_json", nonEmpty: false) {
            for (index, text) in texts.enumerated() {
                if let parameter = JSONParameter(text) {
                    jsonParameters.append(parameter)
                } else {
                    reader.fail("parse_json[\(index)]", "'\(text)' is not form.NAME, header.NAME, param.NAME or payload.NAME")
                }
            }
        }
        var runLimits: RunLimits?
        var execLimit = runtime.execSlots.integrationDefault
        var bodyLimit: Int?
        if let value = members["limits"],
            let limits = reader.object(value, at: "limits", allowed: ["concurrent", "queued", "exec", "body_mib"])
        {
            runLimits = RunLimits(
                concurrent: reader.integer(limits, "concurrent", at: "limits", in: 1...10_000)
                    ?? RunLimits.standard.concurrent,
                queued: reader.integer(limits, "queued", at: "limits", in: 0...10_000) ?? RunLimits.standard.queued)
            execLimit = reader.integer(limits, "exec", at: "limits", in: 1...100_000) ?? execLimit
            bodyLimit = reader.integer(limits, "body_mib", at: "limits", in: RequestBodyLimit.mebibytes)
                .map(RequestBodyLimit.bytes(mebibytes:))
        }
        let context = ManifestDecodingContext(
            reader: reader, directory: directory, runtime: runtime,
            execSlots: runtime.execSlots.forIntegration(name, limit: execLimit))

        var defaultMismatch: FailureResponse?
        if let value = members["on_mismatch"] {
            defaultMismatch = FailureResponse.decode(value, at: "on_mismatch", defaultStatus: 0, allowContinue: false, context: context)
        }
        var checks: [Check] = []
        if let value = members["rules"] {
            let entries: [(JSONValue, String)]
            switch value {
            case .array(let list): entries = list.enumerated().map { ($0.element, "rules[\($0.offset)]") }
            case .object: entries = [(value, "rules")]
            default:
                reader.fail("rules", "must be a rule object or an array of rules")
                entries = []
            }
            for (entry, path) in entries {
                guard let rule = ManifestRule.decode(entry, at: path, context: context, extraKeys: ["on_mismatch"]) else { continue }
                var response = defaultMismatch ?? FailureResponse(status: 0)
                if let own = entry["on_mismatch"] {
                    let ownPath = ManifestReader.join(path, "on_mismatch")
                    response = FailureResponse.decode(own, at: ownPath, defaultStatus: 0, allowContinue: false, context: context) ?? response
                }
                if response.status == 0 { response.status = HTTPStatus(rule.defaultMismatchStatus) }
                checks.append(Check(rule: rule, onMismatch: response, path: path))
            }
        }

        var actions: [ManifestAction] = []
        switch members["actions"] {
        case .array(let list)?:
            for (index, entry) in list.enumerated() {
                if let action = ManifestAction.decode(entry, at: "actions[\(index)]", context: context) { actions.append(action) }
            }
        case nil:
            reader.fail("actions", "is required (an array of actions; [] for none)")
        default:
            reader.fail("actions", "must be an array of actions")
        }

        guard reader.problems.isEmpty else { throw fail() }
        self.name = name
        self.summary = summary
        self.commands = commands
        self.routes = routes
        self.methods = methods
        self.hookMethods = hookMethods
        self.checks = checks
        self.actions = actions
        self.regexTimeout = .milliseconds(regexTimeout)
        self.signatureFailuresAreHard = signatureFailures == "hard"
        self.jsonParameters = jsonParameters
        self.payloadContentType = payloadContentType
        self.regexPool = runtime.regexPool.lane(for: name)
        self.runLimits = runLimits
        self.bodyLimit = bodyLimit
        self.runTimeBound = ManifestIntegration.runTimeBound(
            checks: checks, actions: actions, regexTimeout: .milliseconds(regexTimeout))
    }

    private static func decodeMethods(_ value: JSONValue, at path: String, reader: ManifestReader) -> Set<HTTPMethod>? {
        guard let names = reader.strings(value, at: path, nonEmpty: true) else { return nil }
        var methods: Set<HTTPMethod> = []
        for (index, name) in names.enumerated() {
            let method = HTTPMethod(rawValue: name.uppercased())
            if HTTPMethod.known.contains(method) {
                methods.insert(method)
            } else {
                reader.fail("\(path)[\(index)]", "'\(name)' is not an HTTP method the server accepts")
            }
        }
        return methods.count == Set(names.map { $0.uppercased() }).count ? methods : nil
    }

    private static func decodeRoute(_ value: JSONValue, at path: String, defaultMethods: Set<HTTPMethod>, reader: ManifestReader)
        -> IntegrationRoute?
    {
        var text: String?
        var methods = defaultMethods
        var patternPath = path
        switch value {
        case .string(let s):
            text = s
        case .object:
            guard let members = reader.object(value, at: path, allowed: ["path", "methods"]) else { return nil }
            text = reader.string(members, "path", at: path, required: true)
            patternPath = ManifestReader.join(path, "path")
            if let list = members["methods"] {
                guard let parsed = decodeMethods(list, at: ManifestReader.join(path, "methods"), reader: reader) else { return nil }
                methods = parsed
            }
        default:
            reader.fail(path, "must be a path such as \"/deploy/<env>\" or {\"path\", \"methods\"}")
        }
        guard let text else { return nil }
        do {
            return IntegrationRoute(pattern: try RoutePattern(text), methods: methods)
        } catch {
            reader.fail(patternPath, "'\(text)' is not a route pattern: \(error.description)")
            return nil
        }
    }

    private static func position(of offset: Int, in data: Data) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for byte in data.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }
}
