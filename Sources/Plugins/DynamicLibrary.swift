#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A shared library mapped with `dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)`: the one place that talks to the
/// dynamic loader. There is deliberately no `close`: unmapping a Swift image leaves the runtime holding dangling
/// metadata (swiftlang/swift#75889), so a library stays mapped for the life of the process. Unchecked because of
/// the raw handle; safe because the handle is never changed or closed and `dlsym` may be called from any thread.
struct DynamicLibrary: @unchecked Sendable {
    /// The `dlopen` handle; never closed.
    private let handle: UnsafeMutableRawPointer

    /// Why the dynamic loader refused: `dlerror()`'s text.
    struct LoadError: Error, CustomStringConvertible {
        let description: String
    }

    /// Maps the library at `path`, resolving all its symbols now.
    init(path: String) throws(LoadError) {
        _ = dlerror()
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            throw LoadError(description: DynamicLibrary.lastError() ?? "dlopen failed")
        }
        self.handle = handle
    }

    /// The address of the exported symbol `name`, or `nil` if the library does not export it.
    func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        _ = dlerror()
        return dlsym(handle, name)
    }

    private static func lastError() -> String? {
        guard let message = dlerror() else { return nil }
        return String(cString: message)
    }
}
