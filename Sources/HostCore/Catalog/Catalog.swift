import Foundation
import HTTPTypes
import IntegrationContract
import Logging
import Synchronization

/// Every integration found in the integrations directory, by name, slash command and route.
///
/// The catalog scans the directory at start and again whenever `rescan()` is called (by the poller, on SIGHUP,
/// and when a lookup misses). A file is reloaded when its size, modification time or inode changes; a file that
/// fails to load keeps its last good version; a removed file takes its integrations away.
public final class Catalog: Sendable {
    public let directory: URL
    private let loaders: [any IntegrationLoader]
    private let logger: HostLogger
    private let state = Mutex(State())
    private let scanLock = Mutex(())

    struct FileStamp: Equatable {
        var size: Int64
        var modified: timespec
        var inode: UInt64

        static func == (a: FileStamp, b: FileStamp) -> Bool {
            a.size == b.size && a.inode == b.inode && a.modified.tv_sec == b.modified.tv_sec
                && a.modified.tv_nsec == b.modified.tv_nsec
        }
    }

    struct LoadedFile {
        var stamp: FileStamp
        /// The last good integrations of this file (kept when a reload fails).
        var integrations: [any Integration]
        /// The last load error, if the current version failed.
        var error: String?
    }

    struct State {
        var files: [String: LoadedFile] = [:]
        var byName: [String: any Integration] = [:]
        var byCommand: [String: any Integration] = [:]
        var routes = RouteTable()
        var lastMissScan = ContinuousClock.now - .seconds(3600)
        /// Conflicts between files (duplicate or invalid names) as of the last scan, so each is logged once.
        var conflicts: Set<Problem> = []
    }

    /// A problem found while scanning: the file and why.
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        public let file: String
        public let reason: String
        /// Reasons that already name the file (a manifest's `file: path: reason` lines) are not prefixed again.
        public var description: String { reason.hasPrefix("\(file): ") ? reason : "\(file): \(reason)" }
    }

    public init(directory: URL, loaders: [any IntegrationLoader], logger: HostLogger) {
        self.directory = directory
        self.loaders = loaders
        self.logger = logger
    }

    /// How many integrations are loaded.
    public var count: Int { state.withLock { $0.byName.count } }

    /// The loaded integrations, sorted by name.
    public var integrations: [any Integration] {
        state.withLock { $0.byName.values.sorted { $0.name < $1.name } }
    }

    /// The integration answering slash command `command`, if any. A miss triggers a rescan (at most one per
    /// `missRescanInterval`) so a file just dropped in answers at once.
    public func integration(forCommand command: String) -> (any Integration)? {
        guard IntegrationName.isValid(command) else { return nil }
        if let found = state.withLock({ $0.byCommand[command] }) { return found }
        guard rescanOnMiss() else { return nil }
        return state.withLock { $0.byCommand[command] }
    }

    /// The integration named `name`, if any (same miss rule as commands).
    public func integration(named name: String) -> (any Integration)? {
        guard IntegrationName.isValid(name) else { return nil }
        if let found = state.withLock({ $0.byName[name] }) { return found }
        guard rescanOnMiss() else { return nil }
        return state.withLock { $0.byName[name] }
    }

    /// A route match for an extra route declared by an integration.
    public enum RouteMatch {
        case matched(any Integration, parameters: [String: String])
        /// The path is known but not for this method; carries the methods it does take.
        case wrongMethod(allowed: Set<HTTPMethod>)
        case none
    }

    /// Finds the declared route matching `path` and `method`.
    public func route(path: String, method: HTTPMethod) -> RouteMatch {
        state.withLock { $0.routes }.route(path: path, method: method)
    }

    /// The least time between two rescans caused by lookups that missed, so a flood of unknown names costs at most
    /// a few directory listings a second.
    public static let missRescanInterval: Duration = .milliseconds(250)

    private func rescanOnMiss() -> Bool {
        let due = state.withLock { state in
            guard ContinuousClock.now - state.lastMissScan >= Catalog.missRescanInterval else { return false }
            state.lastMissScan = .now
            return true
        }
        if due { rescan() }
        return due
    }

    /// Scans the directory now: loads new and changed files, drops removed ones. Returns the current problems.
    @discardableResult
    public func rescan() -> [Problem] {
        scanLock.withLock { _ in
            var files = state.withLock { $0.files }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            var seen: Set<String> = []
            for fileName in names.sorted() where !fileName.hasPrefix(".") {
                guard let loader = loaders.first(where: { $0.accepts(fileName: fileName) }) else { continue }
                let url = directory.appendingPathComponent(fileName)
                guard let stamp = Catalog.stamp(of: url.path) else { continue }
                seen.insert(fileName)
                if let known = files[fileName], known.stamp == stamp { continue }
                do {
                    let loaded = try loader.load(file: url)
                    let hadVersion = files[fileName] != nil
                    files[fileName] = LoadedFile(stamp: stamp, integrations: loaded)
                    let names = loaded.map(\.name).joined(separator: ", ")
                    logger.log(.info, "\(hadVersion ? "reloaded" : "loaded") \(loader.kind) \(fileName): \(names)")
                } catch {
                    let message = "\(error)"
                    var entry = files[fileName] ?? LoadedFile(stamp: stamp, integrations: [])
                    entry.stamp = stamp
                    entry.error = message
                    files[fileName] = entry
                    let kept = entry.integrations.isEmpty ? "" : " (keeping its last good version)"
                    logger.log(.error, "failed to load \(loader.kind) \(fileName)\(kept): \(message)")
                }
            }
            for removed in Set(files.keys).subtracting(seen) {
                files[removed] = nil
                logger.log(.info, "removed \(removed)")
            }
            return install(files)
        }
    }

    /// Rebuilds the lookup tables from `files`; names and commands claimed twice go to the first file by name.
    private func install(_ files: [String: LoadedFile]) -> [Problem] {
        var problems: [Problem] = []
        var conflicts: [Problem] = []
        var byName: [String: any Integration] = [:]
        var byCommand: [String: any Integration] = [:]
        var owner: [String: String] = [:]
        var routes: [RouteTable.Entry] = []
        for fileName in files.keys.sorted() {
            let file = files[fileName]!
            if let error = file.error { problems.append(Problem(file: fileName, reason: error)) }
            for integration in file.integrations {
                guard IntegrationName.isValid(integration.name) else {
                    conflicts.append(Problem(file: fileName, reason: "invalid integration name '\(integration.name)'"))
                    continue
                }
                if let first = owner[integration.name] {
                    let reason = "duplicate integration name '\(integration.name)' (already loaded from \(first))"
                    conflicts.append(Problem(file: fileName, reason: reason))
                    continue
                }
                owner[integration.name] = fileName
                byName[integration.name] = integration
                for command in integration.commands where IntegrationName.isValid(command) {
                    if byCommand[command] == nil { byCommand[command] = integration }
                }
                for route in integration.routes { routes.append((route, integration)) }
            }
        }
        let known = state.withLock { state in
            defer {
                state.files = files
                state.byName = byName
                state.byCommand = byCommand
                state.routes = RouteTable(routes)
                state.conflicts = Set(conflicts)
            }
            return state.conflicts
        }
        for conflict in conflicts where !known.contains(conflict) { logger.log(.error, "\(conflict)") }
        return problems + conflicts
    }

    /// Loads every file of `directory` once with `loaders`, without installing anything: what `check` prints.
    public static func check(directory: URL, loaders: [any IntegrationLoader]) -> (integrations: [String], problems: [Problem]) {
        let logger = try! HostLogger(minimumLevel: .error, echoToStderr: false)
        let catalog = Catalog(directory: directory, loaders: loaders, logger: logger)
        let problems = catalog.rescan()
        return (catalog.integrations.map(\.name), problems)
    }

    private static func stamp(of path: String) -> FileStamp? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return FileStamp(size: Int64(info.st_size), modified: info.st_mtim, inode: UInt64(info.st_ino))
    }
}
