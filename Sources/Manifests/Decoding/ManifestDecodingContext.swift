import Foundation
import JSON

/// What decoding one manifest needs besides the reader: where the file lives (exec paths are relative to it) and
/// which variables are defined so far, so templates naming an unknown variable are load errors.
final class ManifestDecodingContext {
    let reader: ManifestReader
    /// The directory holding the manifest.
    let directory: URL
    /// What the host gives its manifests: exec slots and containment, the regex pool.
    let runtime: ManifestRuntime
    /// This manifest's share of the host's exec slots (its name's, `limits.exec` of them).
    let execSlots: IntegrationExecSlots
    /// Variables defined by the manifest so far: regex captures, then `into` and `set` names in action order.
    private(set) var defined: Set<String> = []

    init(reader: ManifestReader, directory: URL, runtime: ManifestRuntime, execSlots: IntegrationExecSlots) {
        self.reader = reader
        self.directory = directory
        self.runtime = runtime
        self.execSlots = execSlots
    }

    /// Parses a template and checks that every variable it names exists.
    func template(_ source: String, at path: String) -> Template? {
        let template: Template
        do {
            template = try Template(parsing: source)
        } catch {
            reader.fail(path, error.reason)
            return nil
        }
        var ok = true
        for placeholder in template.placeholders {
            for root in placeholder.roots where !ManifestScope.builtins.contains(root) && !defined.contains(root) {
                reader.fail(path, "unknown variable '\(root)' in \(placeholder.sourceText)")
                ok = false
            }
        }
        return ok ? template : nil
    }

    /// A template-valued member.
    func template(_ members: [String: JSONValue], _ key: String, at path: String, required: Bool = false) -> Template? {
        guard let source = reader.string(members, key, at: path, required: required) else { return nil }
        return template(source, at: ManifestReader.join(path, key))
    }

    /// Declares a variable. Names are `[A-Za-z_][A-Za-z0-9_]*` and must not shadow a built-in source.
    @discardableResult
    func define(_ name: String, at path: String) -> Bool {
        guard ManifestDecodingContext.isVariableName(name) else {
            reader.fail(path, "'\(name)' is not a variable name (a letter or _, then letters, digits or _)")
            return false
        }
        guard !ManifestScope.builtins.contains(name) else {
            reader.fail(path, "'\(name)' is a built-in variable and cannot be redefined")
            return false
        }
        defined.insert(name)
        return true
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.utf8.count <= 64,
            first == "_" || (first.isASCII && first.properties.isAlphabetic)
        else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }
}
