import Foundation
import Synchronization

/// The loader's private directory (mode 0700, under `TMPDIR`) for the copies it maps: made on first use, removed
/// with the loader. Each copy gets a name never used before, so `dlopen` always maps a new image.
final class PluginCopyDirectory: Sendable {
    private let state = Mutex<(path: String?, counter: Int)>((nil, 0))

    /// Why a copy could not be made.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The directory, once made.
    var path: String? { state.withLock { $0.path } }

    /// Copies `source` to a fresh name in the directory and returns that name.
    func copy(_ source: String) throws -> String {
        let target = try state.withLock { state throws(Failure) -> String in
            let directory: String
            if let existing = state.path {
                directory = existing
            } else {
                var template = Array((NSTemporaryDirectory() + "/integration-host-plugins.XXXXXX").utf8CString)
                guard let made = mkdtemp(&template) else {
                    throw Failure(
                        description: "mkdtemp in \(NSTemporaryDirectory()): \(String(cString: strerror(errno)))")
                }
                directory = String(cString: made)
                state.path = directory
            }
            state.counter += 1
            return "\(directory)/\(state.counter)-\((source as NSString).lastPathComponent)"
        }
        try FileManager.default.copyItem(atPath: source, toPath: target)
        return target
    }

    deinit {
        if let path = state.withLock({ $0.path }) { rmdir(path) }
    }
}
