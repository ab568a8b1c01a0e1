import Foundation
import IntegrationContract
import JSON
import Logging

/// Runs admin commands on storage as plain operations: files confined to the state directory, answers saying
/// what was saved, loaded or erased. Who may run them is the caller's question (the host app checks the admin
/// token before it gets here).
public struct AdminCommands: Sendable {
    public let storage: Storage
    public let stateDirectory: StateDirectory
    /// The `--state` file, used when a command names none.
    public let defaultFile: String?
    /// The largest file `load` reads.
    public let maxLoadBytes: Int
    public let logger: HostLogger
    /// The delivery log, saved and loaded beside each storage file (`DeliveryLog.fileName(besides:)`).
    public let deliveries: DeliveryLog?

    public init(
        storage: Storage, stateDirectory: StateDirectory, defaultFile: String?,
        maxLoadBytes: Int = AdminCommands.defaultMaxLoadBytes, logger: HostLogger, deliveries: DeliveryLog? = nil
    ) {
        self.deliveries = deliveries
        self.storage = storage
        self.stateDirectory = stateDirectory
        self.defaultFile = defaultFile
        self.maxLoadBytes = maxLoadBytes
        self.logger = logger
    }

    /// Runs `command`; the answer is `{"erased": …}`, `{"saved": FILE, "integrations": …}` or `{"loaded": FILE,
    /// "integrations": …}` with each integration's keys. A failure leaves storage unchanged.
    public func run(_ command: AdminCommand) throws(IntegrationError) -> JSONValue {
        switch command {
        case .erase:
            let erased = storage.snapshot()
            storage.eraseAll()
            logger.log(.notice, "storage erased (\(erased.count) integrations)")
            return ["erased": AdminCommands.summary(erased)]
        case .save(let name):
            guard let name = name ?? defaultFile else {
                throw IntegrationError.badRequest("save needs a FILE (no --state file is configured)")
            }
            do {
                let url = try stateDirectory.resolve(name)
                let contents = storage.snapshot()
                try StorageFile.writeAtomically(StorageFile.encode(contents), to: url)
                if let deliveries {
                    let deliveriesURL = try stateDirectory.resolve(DeliveryLog.fileName(besides: name))
                    try StorageFile.writeAtomically(deliveries.encoded(), to: deliveriesURL)
                }
                logger.log(.notice, "storage saved to \(name)")
                return ["saved": .string(name), "integrations": AdminCommands.summary(contents)]
            } catch let refusal as StateDirectory.Refusal {
                throw IntegrationError.badRequest("cannot save \(name): \(refusal)")
            } catch {
                throw IntegrationError.internalError("cannot save \(name): \(error.localizedDescription)")
            }
        case .load(let name):
            guard let name = name ?? defaultFile else {
                throw IntegrationError.badRequest("load needs a FILE (no --state file is configured)")
            }
            do {
                let contents = try AdminCommands.read(name, in: stateDirectory, maxBytes: maxLoadBytes)
                try loadDeliveries(besides: name)
                storage.replaceAll(with: contents)
                logger.log(.notice, "storage loaded from \(name)")
                return ["loaded": .string(name), "integrations": AdminCommands.summary(contents)]
            } catch {
                throw IntegrationError.badRequest("cannot load \(name): \(error)")
            }
        }
    }

    /// Reads the deliveries file beside storage file `name` into the delivery log, when there is one.
    public func loadDeliveries(besides name: String) throws {
        guard let deliveries else { return }
        let file = DeliveryLog.fileName(besides: name)
        guard FileManager.default.fileExists(atPath: try stateDirectory.resolve(file).path) else { return }
        try deliveries.replaceAll(withEncoded: AdminCommands.readBytes(file, in: stateDirectory, maxBytes: maxLoadBytes))
    }

    /// The largest storage file `load` reads (`--max-load`); a larger one is refused before it is read.
    public static let defaultMaxLoadBytes = 256 << 20

    /// Reads and checks a storage file inside the state directory: opened without following a symlink (so nothing
    /// can swap one in between the check and the open), a regular file, at most `maxBytes` long.
    public static func read(
        _ name: String, in directory: StateDirectory, maxBytes: Int = defaultMaxLoadBytes
    ) throws -> [String: [String: JSONValue]] {
        try StorageFile.decode(readBytes(name, in: directory, maxBytes: maxBytes))
    }

    /// The bytes of a file inside the state directory, read as `read` reads a storage file.
    static func readBytes(_ name: String, in directory: StateDirectory, maxBytes: Int) throws -> [UInt8] {
        let url = try directory.resolve(name)
        let fd = open(url.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = errno == ENOENT ? "no such file in the state directory" : errno == ELOOP ? "it is a symlink" : "unreadable"
            throw StorageFile.LoadError(description: reason)
        }
        let file = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw StorageFile.LoadError(description: "not a regular file")
        }
        guard Int(info.st_size) <= maxBytes else {
            throw StorageFile.LoadError(
                description: "\(info.st_size) bytes is more than the \(maxBytes >> 20) MiB a load may read (--max-load)")
        }
        let data: Data
        do {
            data = try file.readToEnd() ?? Data()
        } catch {
            throw StorageFile.LoadError(description: "unreadable")
        }
        guard data.count <= maxBytes else {
            throw StorageFile.LoadError(description: "the file grew past \(maxBytes >> 20) MiB while it was read")
        }
        return Array(data)
    }

    /// Integration name → its sorted keys.
    static func summary(_ contents: [String: [String: JSONValue]]) -> JSONValue {
        .object(contents.mapValues { .array($0.keys.sorted().map(JSONValue.string)) })
    }
}
