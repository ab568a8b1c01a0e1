import Foundation

/// The directory holding the test binary, which is SwiftPM's build directory (`.build/debug`): where the example
/// plugins' `lib*.so` and the helper executables are built by `swift build --build-tests`.
public let buildDirectory: URL = {
    let executable =
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        ?? CommandLine.arguments[0]
    var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
    // On macOS the binary sits inside `X.xctest/Contents/MacOS`.
    while directory.path.contains(".xctest") { directory.deleteLastPathComponent() }
    return directory
}()
