import Foundation
import TestSupport

/// Runs the real curl binary.
enum Curl {
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func run(_ arguments: [String]) throws -> Output {
        // Without 100 Continue within a second (its default), curl sends the body anyway: let it wait as long as the
        // whole request may take, so a busy server still gets to answer first.
        let result = try Subprocess.run("/usr/bin/curl", ["--max-time", "10", "--expect100-timeout", "10"] + arguments)
        return Output(status: result.status, stdout: result.stdoutText, stderr: result.stderrText)
    }
}
