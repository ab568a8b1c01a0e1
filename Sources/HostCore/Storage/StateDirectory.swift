import Foundation
import IntegrationContract

/// The one directory admin `save` and `load` may touch. Names are relative, made of `[A-Za-z0-9._-]` segments,
/// never `.` or `..`, and must not lead out through a symlink.
public struct StateDirectory: Sendable {
    public let root: URL

    public init(root: URL) { self.root = root }

    /// Why a name or file was refused; safe to show to the caller.
    public struct Refusal: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Checks that `name` is a relative name of `[A-Za-z0-9._-]` segments, none empty, `.` or `..`: what `resolve`
    /// checks before it looks at the disk, for a directory that does not exist yet.
    public static func checkName(_ name: String) throws(Refusal) {
        guard !name.isEmpty, name.utf8.count <= 255 else { throw Refusal(description: "file name must be 1-255 bytes") }
        guard !name.hasPrefix("/") else { throw Refusal(description: "file must be a relative name inside the state directory") }
        let segments = name.split(separator: "/", omittingEmptySubsequences: false)
        for segment in segments {
            guard !segment.isEmpty, segment != ".", segment != ".." else {
                throw Refusal(description: "file must not contain empty, '.' or '..' path segments")
            }
            guard segment.utf8.allSatisfy({ IntegrationName.isNameByte($0, allowingDot: true) }) else {
                throw Refusal(description: "file name may only use letters, digits, '.', '_', '-' and '/'")
            }
        }
    }

    /// The file `name` inside the directory, after checking that it stays inside.
    public func resolve(_ name: String) throws(Refusal) -> URL {
        try StateDirectory.checkName(name)
        guard let realRoot = StateDirectory.realPath(root.path) else {
            throw Refusal(description: "state directory does not exist")
        }
        let candidate = root.appendingPathComponent(name)
        guard let realParent = StateDirectory.realPath(candidate.deletingLastPathComponent().path),
            StateDirectory.isInside(realParent, realRoot)
        else { throw Refusal(description: "file's directory does not exist inside the state directory") }
        var info = stat()
        if lstat(candidate.path, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFLNK {
                guard let target = StateDirectory.realPath(candidate.path), StateDirectory.isInside(target, realRoot)
                else { throw Refusal(description: "file is a symlink leading out of the state directory") }
            } else if (info.st_mode & S_IFMT) != S_IFREG {
                throw Refusal(description: "file exists and is not a regular file")
            }
        }
        return URL(fileURLWithPath: realParent).appendingPathComponent(candidate.lastPathComponent)
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func isInside(_ path: String, _ root: String) -> Bool {
        path == root || path.hasPrefix(root == "/" ? "/" : root + "/")
    }
}
