import Foundation
import TestSupport
import Testing

/// The `sandbox-probe` executable, which `swift build --build-tests` builds next to the test bundle: it confines
/// itself, tries actions and prints one line each. A sandbox binds its process for good, so every confinement test
/// runs in a probe of its own.
struct SandboxProbe {
    /// What one run printed and how it ended.
    struct Run {
        /// "ACTION ARGS" → "ok", an errno name, or "failed: …" (dlopen).
        var results: [String: String]
        /// The line the probe printed when `Sandbox.apply` refused, if it did.
        var applyError: String?
        /// The report's lines ("enforced: …", "unavailable: …").
        var report: String
        /// The signal that ended the probe, if one did.
        var signal: Int32?
        var status: Int32

        subscript(_ subject: String) -> String? { results[subject] }
    }

    /// The directory holding the test binary, which is SwiftPM's build directory (`.build/debug`).
    static var buildDirectory: URL { TestSupport.buildDirectory }

    static func executable() throws -> URL {
        let url = buildDirectory.appendingPathComponent("sandbox-probe")
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw ProbeError("sandbox-probe is not in \(buildDirectory.path): `swift build --build-tests` builds it")
        }
        return url
    }

    /// Runs the probe with `options` (its policy) and then `actions`.
    static func run(_ options: [String] = [], _ actions: [String]) throws -> Run {
        let finished = try Subprocess.run(try executable().path, options + ["--"] + actions)
        let printed = finished.stdoutText
        let report = finished.stderrText
        var results: [String: String] = [:]
        var applyError: String?
        for line in printed.split(separator: "\n") {
            guard let separator = line.range(of: ": ") else { continue }
            let subject = String(line[..<separator.lowerBound])
            let result = String(line[separator.upperBound...])
            if subject == "apply" { applyError = result } else { results[subject] = result }
        }
        return Run(
            results: results, applyError: applyError, report: report, signal: finished.signal,
            status: finished.status)
    }

    /// A fresh directory under the system's temporary directory (which no policy here makes reachable).
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The built example plugin `lib<product>.so`, copied into `directory`.
    static func pluginCopy(_ product: String, in directory: URL) throws -> URL {
        let built = buildDirectory.appendingPathComponent("lib\(product).so")
        guard FileManager.default.fileExists(atPath: built.path) else {
            throw ProbeError("lib\(product).so is not in \(buildDirectory.path): `swift build --build-tests` builds it")
        }
        let copy = directory.appendingPathComponent(built.lastPathComponent)
        try FileManager.default.copyItem(at: built, to: copy)
        return copy
    }
}

struct ProbeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
