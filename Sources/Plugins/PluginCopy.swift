import Foundation

/// A private copy of a plugin file, for `dlopen`: a fresh directory (mode 0700, under `TMPDIR`) holding a copy of the
/// file. Every copy is a new inode, so `dlopen` maps a new image even when the original was rebuilt in place, and
/// an image already mapped never changes under the host. `remove()` deletes both once the copy is mapped; the
/// mapping outlives the name.
struct PluginCopy {
    /// The copy's path.
    let path: String
    private let directory: String

    /// Why a copy could not be made.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Copies `source` into a new private directory.
    init(of source: String) throws {
        var template = Array((NSTemporaryDirectory() + "/integration-host-plugin.XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw Failure(description: "mkdtemp in \(NSTemporaryDirectory()): \(String(cString: strerror(errno)))")
        }
        directory = String(cString: made)
        path = directory + "/" + (source as NSString).lastPathComponent
        do {
            try FileManager.default.copyItem(atPath: source, toPath: path)
        } catch {
            rmdir(directory)
            throw Failure(description: error.localizedDescription)
        }
    }

    /// Deletes the copy and its directory.
    func remove() {
        unlink(path)
        rmdir(directory)
    }
}
