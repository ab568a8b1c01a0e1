import Crypto
import Foundation
import Glibc
import IntegrationContract
import JSON

/// An exec action's `files` (adnanh/webhook's `pass-file-to-command`): values handed to the program as files.
/// Each is written, mode 0600, into a directory of its own (mode 0700) made for one run; the program finds it in
/// the environment variable of the entry's name, and the directory goes once the program has ended, however it
/// ended (exit, timeout, the run cancelled). File names are the variable names the manifest gives, never request
/// input.
struct ExecFiles: Sendable {
    /// One entry: the variable the path goes in, and what the file holds.
    struct Entry: Sendable {
        let name: String
        let content: Template
        /// The rendered text is base64, and the file holds the decoded bytes.
        let base64: Bool
    }

    let entries: [Entry]

    /// Reads `{"NAME": "template"}` or `{"NAME": {"content": "template", "base64": true}}`.
    static func decode(_ value: JSONValue, at path: String, context: ManifestDecodingContext) -> ExecFiles? {
        let reader = context.reader
        guard case .object(let members) = value else {
            reader.fail(path, "must be an object of variable names to templates")
            return nil
        }
        var entries: [Entry] = []
        for (name, member) in members.sorted(by: { $0.key < $1.key }) {
            let here = ManifestReader.join(path, name)
            guard ManifestDecodingContext.isVariableName(name) else {
                reader.fail(here, "is not an environment variable name")
                continue
            }
            switch member {
            case .string(let text):
                if let template = context.template(text, at: here) { entries.append(Entry(name: name, content: template, base64: false)) }
            case .object:
                guard let fields = reader.object(member, at: here, allowed: ["content", "base64"]) else { continue }
                let base64 = reader.bool(fields, "base64", at: here) ?? false
                if let template = context.template(fields, "content", at: here, required: true) {
                    entries.append(Entry(name: name, content: template, base64: base64))
                }
            default:
                reader.fail(here, "must be a template or {\"content\", \"base64\"}")
            }
        }
        return entries.count == members.count ? ExecFiles(entries: entries) : nil
    }

    /// Renders every entry and writes the files; a value that is not base64 where it should be is a 400, a file
    /// that cannot be written a 500 (and nothing is left behind).
    func write(in scope: ManifestScope) throws(ActionFailure) -> Written {
        var contents: [(name: String, bytes: [UInt8])] = []
        for entry in entries {
            let text = entry.content.render(in: scope)
            guard entry.base64 else {
                contents.append((entry.name, Array(text.utf8)))
                continue
            }
            guard let bytes = Crypto.Encoding.bytes(fromBase64: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw ActionFailure(.badRequest("exec: files.\(entry.name) is not base64"))
            }
            contents.append((entry.name, bytes))
        }
        var template = Array((FileManager.default.temporaryDirectory.path + "/integration-host-exec-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw ActionFailure(.internalError("exec: cannot make a directory for files: \(String(cString: strerror(errno)))"))
        }
        let written = Written(directory: String(cString: made), names: contents.map(\.name))
        for (name, bytes) in contents {
            let path = written.directory + "/" + name
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            var left = bytes[...]
            var failure: Int32 = descriptor < 0 ? errno : 0
            while failure == 0, !left.isEmpty {
                let count = left.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
                if count >= 0 { left = left.dropFirst(count) } else if errno != EINTR { failure = errno }
            }
            if descriptor >= 0 { close(descriptor) }
            if failure != 0 {
                let reason = String(cString: strerror(failure))
                written.remove()
                throw ActionFailure(.internalError("exec: cannot write files.\(name): \(reason)"))
            }
        }
        return written
    }

    /// The files of one run, until `remove()`.
    struct Written: Sendable {
        let directory: String
        let names: [String]

        /// `NAME=PATH` for the program's environment.
        var environment: [String] { names.map { "\($0)=\(directory)/\($0)" } }

        /// Removes the directory and whatever is in it (the program may have added files).
        func remove() {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}
