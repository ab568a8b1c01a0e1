import Foundation
import HTTPTypes
import IntegrationContract
import Logging
import Synchronization

/// Every integration found in the integrations directory, by name, slash command and route.
///
/// The catalog scans the directory at start and again whenever `rescan()` is called (by its `DirectoryWatcher` when
/// the directory changes, on SIGHUP, and when a lookup misses). While it watches, every lookup first catches up
/// with changes the kernel has reported, so it never answers from a file replaced before it began. A file is reloaded when its size, modification time or inode changes; a file that
/// fails to load keeps its last good version; a removed file takes its integrations away.
public final class Catalog: Sendable {
    public let directory: URL
    private let loaders: [any IntegrationLoader]
    private let logger: HostLogger
    private let state = Mutex(State())
    private let scanLock = Mutex(())
    /// Set once by `watch()`; lookups read it without a lock.
    private let watcher = AtomicLazyReference<DirectoryWatcher>()

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
        /// A hash of the bytes read when it was loaded (files up to `hashedFileLimit`), to tell an in-place rewrite
        /// that kept the stamp from a write that changed nothing.
        var contentHash: UInt64?
        /// The kind of the loader that read it.
        var kind: String
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
        /// Commands and routes claimed by more than one integration, as of the last scan.
        var claims: [CatalogConflict] = []
        /// The file each loaded integration came from.
        var fileOf: [String: String] = [:]
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

    /// Watches the directory from now on (`DirectoryWatcher`), rescanning when it changes. Called once, at start.
    public func watch() throws {
        guard watcher.load() == nil else { return }
        let started = try DirectoryWatcher(directory: directory, logger: logger) { [self] in rescan(written: $0) }
        _ = watcher.storeIfNil(started)
    }

    /// Stops watching and waits for the watcher's thread to end.
    public func stopWatching() async {
        await watcher.load()?.stop()
    }

    /// The integration answering slash command `command`, if any. A miss triggers a rescan (at most one per
    /// `missRescanInterval`) so a file just dropped in answers at once.
    public func integration(forCommand command: String) -> (any Integration)? {
        guard IntegrationName.isValid(command) else { return nil }
        watcher.load()?.catchUp()
        if let found = state.withLock({ $0.byCommand[command] }) { return found }
        guard rescanOnMiss() else { return nil }
        return state.withLock { $0.byCommand[command] }
    }

    /// The integration named `name`, if any (same miss rule as commands).
    public func integration(named name: String) -> (any Integration)? {
        guard IntegrationName.isValid(name) else { return nil }
        watcher.load()?.catchUp()
        if let found = state.withLock({ $0.byName[name] }) { return found }
        guard rescanOnMiss() else { return nil }
        return state.withLock { $0.byName[name] }
    }

    /// The loaded integration called `name`, without rescanning the directory when there is none (for callers that
    /// must not wait, such as the server's event loops).
    public func loadedIntegration(named name: String) -> (any Integration)? {
        state.withLock { $0.byName[name] }
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
        watcher.load()?.catchUp()
        return state.withLock { $0.routes }.route(path: path, method: method)
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
    /// A file is changed when its size, inode or modification time is, or when it is among `written` (files the
    /// watcher saw written and closed: an in-place rewrite can keep all three).
    @discardableResult
    public func rescan(written: Set<String> = []) -> [Problem] {
        scanLock.withLock { _ in
            var files = state.withLock { $0.files }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            var seen: Set<String> = []
            for fileName in names.sorted() where !fileName.hasPrefix(".") {
                guard let loader = loaders.first(where: { $0.accepts(fileName: fileName) }) else { continue }
                let url = directory.appendingPathComponent(fileName)
                guard let stamp = Catalog.stamp(of: url.path) else { continue }
                seen.insert(fileName)
                let known = files[fileName]
                let sameStamp = known?.stamp == stamp
                if sameStamp, !written.contains(fileName) { continue }
                let contentHash = Catalog.contentHash(of: url.path, size: stamp.size)
                if sameStamp, contentHash != nil, contentHash == known?.contentHash { continue }
                do {
                    let loaded = try loader.load(file: url)
                    let hadVersion = files[fileName] != nil
                    files[fileName] = LoadedFile(
                        stamp: stamp, contentHash: contentHash, kind: loader.kind, integrations: loaded)
                    let names = loaded.map(\.name).joined(separator: ", ")
                    logger.log(.info, "\(hadVersion ? "reloaded" : "loaded") \(loader.kind) \(fileName): \(names)")
                } catch {
                    let message = "\(error)"
                    var entry = files[fileName] ?? LoadedFile(stamp: stamp, kind: loader.kind, integrations: [])
                    entry.stamp = stamp
                    entry.contentHash = contentHash
                    entry.error = message
                    files[fileName] = entry
                    let kept = entry.integrations.isEmpty ? "" : " (keeping its last good version)"
                    // One line per problem (a manifest's error lists them one a line, `file: key.path: reason`), each
                    // `failed to load manifest file: key.path: reason`.
                    for line in message.split(separator: "\n", omittingEmptySubsequences: true) {
                        let problem = line.hasPrefix("\(fileName): ") ? line.dropFirst(fileName.count + 2) : line
                        logger.log(.error, "failed to load \(loader.kind) \(fileName)\(kept): \(problem)")
                    }
                }
            }
            for removed in Set(files.keys).subtracting(seen) {
                files[removed] = nil
                logger.log(.info, "removed \(removed)")
            }
            return install(files)
        }
    }

    /// Rebuilds the lookup tables from `files`; names, commands and routes (path and method) claimed twice go to
    /// the first file by name, and each command or route claimed twice is a conflict (logged once, as a warning).
    private func install(_ files: [String: LoadedFile]) -> [Problem] {
        var problems: [Problem] = []
        var conflicts: [Problem] = []
        var byName: [String: any Integration] = [:]
        var byCommand: [String: any Integration] = [:]
        var owner: [String: String] = [:]
        var routes: [RouteTable.Entry] = []
        var claims = ClaimLedger()
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
                let claimant = CatalogConflict.Claimant(name: integration.name, file: fileName)
                for command in integration.commands where IntegrationName.isValid(command) {
                    if claims.claim("command /\(command)", key: "command \(command)", by: claimant) {
                        byCommand[command] = integration
                    }
                }
                for route in integration.routes {
                    for method in route.methods.sorted(by: { $0.rawValue < $1.rawValue }) {
                        let key = "route \(method) \(Catalog.shape(of: route.pattern))"
                        _ = claims.claim("route \(method) \(route.pattern)", key: key, by: claimant)
                    }
                    routes.append((route, integration))
                }
            }
        }
        for (route, integration) in routes {
            let parts = "\(route.pattern)".split(separator: "/")
            guard parts.count == 2, parts[0] == "hooks", let hook = byName[String(parts[1])] else { continue }
            let reason = "route \(route.pattern) of \(integration.name) is never reached: it is the webhook of \(hook.name)"
            conflicts.append(Problem(file: owner[integration.name] ?? "", reason: reason))
        }
        let claimConflicts = claims.conflicts
        let (known, knownClaims) = state.withLock { state in
            defer {
                state.files = files
                state.byName = byName
                state.byCommand = byCommand
                state.routes = RouteTable(routes)
                state.conflicts = Set(conflicts)
                state.claims = claimConflicts
                state.fileOf = owner
            }
            return (state.conflicts, Set(state.claims))
        }
        for conflict in conflicts where !known.contains(conflict) { logger.log(.error, "\(conflict)") }
        for conflict in claimConflicts where !knownClaims.contains(conflict) { logger.log(.warning, "\(conflict)") }
        return problems + conflicts + claimConflicts.flatMap(Catalog.problems(of:))
    }

    /// A conflict as load problems, one for each file that does not get the claim (what `check` prints).
    private static func problems(of conflict: CatalogConflict) -> [Problem] {
        conflict.others.map { other in
            Problem(
                file: other.file,
                reason: "\(conflict.claim) of \(other.name) is already claimed by \(conflict.winner): \(conflict.winner.name) answers it")
        }
    }

    /// A route pattern with its parameter names dropped: `/deploy/<env>` and `/deploy/<target>` match the same paths.
    static func shape(of pattern: RoutePattern) -> String {
        let parts = "\(pattern)".split(separator: "/", omittingEmptySubsequences: true)
            .map { $0.hasPrefix("<") ? "<>" : String($0) }
        return "/" + parts.joined(separator: "/")
    }

    /// Who claimed what first while the tables are rebuilt, and who claimed it after.
    private struct ClaimLedger {
        private var first: [String: (claim: String, claimant: CatalogConflict.Claimant)] = [:]
        private var later: [String: [CatalogConflict.Claimant]] = [:]
        private var order: [String] = []

        /// Records `claimant`'s claim; `true` when it is the first (it answers).
        mutating func claim(_ claim: String, key: String, by claimant: CatalogConflict.Claimant) -> Bool {
            guard let winner = first[key] else {
                first[key] = (claim, claimant)
                return true
            }
            guard winner.claimant.name != claimant.name else { return false }
            if later[key] == nil { order.append(key) }
            later[key, default: []].append(claimant)
            return false
        }

        var conflicts: [CatalogConflict] {
            order.map { key in
                let winner = first[key]!
                return CatalogConflict(claim: winner.claim, winner: winner.claimant, others: later[key]!)
            }
        }
    }

    /// Loads every file of `directory` once with `loaders`, without installing anything: what `check` prints.
    public static func check(directory: URL, loaders: [any IntegrationLoader]) -> (integrations: [String], problems: [Problem]) {
        let (catalog, problems) = loadOnce(directory: directory, loaders: loaders)
        return (catalog.integrations.map(\.name), problems)
    }

    /// A catalog of `directory` scanned once, logging nothing, with the problems of that scan: what `check` and
    /// `list` read.
    public static func loadOnce(directory: URL, loaders: [any IntegrationLoader]) -> (catalog: Catalog, problems: [Problem]) {
        let logger = try! HostLogger(minimumLevel: .error, echoToStderr: false)
        let catalog = Catalog(directory: directory, loaders: loaders, logger: logger)
        let problems = catalog.rescan()
        return (catalog, problems)
    }

    /// The loaded integrations with their kind, file and conflicts, sorted by name.
    public var entries: [CatalogEntry] {
        let (integrations, files, fileOf, claims) = state.withLock { ($0.byName, $0.files, $0.fileOf, $0.claims) }
        return integrations.values.sorted { $0.name < $1.name }.map { integration in
            let file = fileOf[integration.name] ?? ""
            return CatalogEntry(
                integration: integration, kind: files[file]?.kind ?? "", file: file,
                conflicts: claims.filter { $0.involves(integration.name) })
        }
    }

    /// The commands and routes claimed by more than one integration, as of the last scan.
    public var conflicts: [CatalogConflict] { state.withLock { $0.claims } }

    /// The problems as of the last scan: files that failed to load (and keep their last good version, if any),
    /// invalid or duplicate names, and commands or routes claimed twice.
    public var problems: [Problem] {
        let (files, conflicts, claims) = state.withLock { ($0.files, $0.conflicts, $0.claims) }
        let loadErrors = files.keys.sorted().compactMap { name in files[name]!.error.map { Problem(file: name, reason: $0) } }
        return loadErrors + conflicts.sorted { $0.description < $1.description } + claims.flatMap(Catalog.problems(of:))
    }

    /// The largest file whose content is hashed on load; a larger one written in place is reloaded whenever the
    /// watcher saw it written.
    static let hashedFileLimit: Int64 = 1 << 20

    /// FNV-1a over the file's bytes, for files up to `hashedFileLimit`; `nil` for larger or unreadable ones.
    private static func contentHash(of path: String, size: Int64) -> UInt64? {
        guard size <= hashedFileLimit, let data = FileManager.default.contents(atPath: path) else { return nil }
        return data.withUnsafeBytes { bytes in
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in bytes {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
            return hash
        }
    }

    private static func stamp(of path: String) -> FileStamp? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return FileStamp(size: Int64(info.st_size), modified: info.st_mtim, inode: UInt64(info.st_ino))
    }
}
