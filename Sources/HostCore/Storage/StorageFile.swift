import Foundation
import JSON

/// hipchat-integration's storage file, both ways: one JSON object mapping integration name to its key/value
/// object, pretty-printed with a 4-space indent.
public enum StorageFile {
    /// Why a file could not be loaded; storage is left as it was.
    public struct LoadError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// The file's bytes for `contents`.
    public static func encode(_ contents: [String: [String: JSONValue]]) -> [UInt8] {
        JSONValue.object(contents.mapValues { .object($0) }).serializedBytes(.pretty(indent: 4)) + [0x0A]
    }

    /// Parses and checks the shape: an object whose every member is an object.
    public static func decode(_ bytes: [UInt8]) throws(LoadError) -> [String: [String: JSONValue]] {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: bytes)
        } catch {
            throw LoadError(description: "not JSON: \(error)")
        }
        guard case .object(let members) = document else {
            throw LoadError(description: "must be a JSON object mapping integration names to objects")
        }
        var result: [String: [String: JSONValue]] = [:]
        for (name, value) in members {
            guard case .object(let namespace) = value else {
                throw LoadError(description: "member '\(name)' must be an object of keys and values")
            }
            result[name] = namespace
        }
        return result
    }

    /// Writes `bytes` to `url` atomically: a temporary file beside it, fsync, rename, fsync of the directory.
    public static func writeAtomically(_ bytes: [UInt8], to url: URL) throws {
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/.\(url.lastPathComponent).\(UInt32.random(in: .min ... .max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var written = 0
        var failure: Int32 = 0
        bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let n = write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                written += n
            }
        }
        if failure == 0, fsync(fd) != 0 { failure = errno }
        close(fd)
        if failure == 0, rename(temporary, url.path) != 0 { failure = errno }
        guard failure == 0 else {
            unlink(temporary)
            throw POSIXError(POSIXErrorCode(rawValue: failure) ?? .EIO)
        }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }
}
