import CSandbox

/// errno values as the constants' names.
package enum Errno {
    /// "EACCES" for EACCES; the number for a value glibc has no name for.
    package static func name(_ code: Int32) -> String {
        csandbox_errno_name(code).map { String(cString: $0) } ?? "errno \(code)"
    }
}
