import Dispatch
import Foundation
import HTTPClient
import HostCore
import IntegrationContract
import Platforms

/// The command line entry point: parse, then run the host until SIGTERM/SIGINT, or check a directory.
public enum HostCommand {
    /// Runs with `arguments` (including the program name) and returns the exit status.
    public static func main(_ arguments: [String]) async -> Int32 {
        let action: CommandLineOptions.Action
        do {
            action = try CommandLineOptions.parse(Array(arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("\(CommandLineOptions.usageLine)\nerror: \(error)\n".utf8))
            return 2
        }
        switch action {
        case .help:
            print(CommandLineOptions.help)
            return 0
        case .version:
            print("integration-host \(HostVersion.current)")
            return 0
        case .check(let directory):
            return check(directory)
        case .list(let directory, let tokens, let json):
            return list(directory, tokens: tokens, json: json)
        case .test(let options):
            return await TrialRun.main(options)
        case .run(let configuration):
            return await run(configuration)
        }
    }

    private static func check(_ directory: URL) -> Int32 {
        let result = Catalog.check(directory: directory, loaders: IntegrationKinds.loaders())
        for problem in result.problems {
            for line in "\(problem)".split(separator: "\n") { print("error: \(line)") }
        }
        print("\(result.integrations.count) integrations ok: \(result.integrations.joined(separator: ", "))")
        return result.problems.isEmpty ? 0 : 1
    }

    /// Prints what `directory` holds (`IntegrationListing`); exit status 1 when it has problems, as `check`.
    private static func list(_ directory: URL, tokens: Tokens, json: Bool) -> Int32 {
        let (catalog, problems) = Catalog.loadOnce(directory: directory, loaders: IntegrationKinds.loaders())
        let secrets = PlatformSecrets(tokens: tokens, environment: ProcessInfo.processInfo.environment)
        let listing = IntegrationListing(catalog: catalog, secrets: secrets, tokens: tokens)
        print(json ? listing.json.serialized(.pretty(indent: 2)) : listing.text)
        return problems.isEmpty ? 0 : 1
    }

    private static func run(_ configuration: HostConfiguration) async -> Int32 {
        let host: HostProcess
        do {
            host = try HostProcess(configuration: configuration)
            raiseDescriptorLimit(for: host)
            try host.start()
        } catch {
            FileHandle.standardError.write(Data("integration-host: \(error)\n".utf8))
            return 1
        }
        let hangups = signalSource(SIGHUP) { host.reload() }
        let stopSignal = await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            let once = StopOnce(continuation)
            let sources = [SIGTERM, SIGINT].map { number in signalSource(number) { once.resume(number) } }
            once.keep(sources)
        }
        hangups.cancel()
        host.dependencies.logger.log(.notice, "signal \(stopSignal) received")
        guard await host.shutdown() else {
            host.dependencies.logger.log(.error, "exiting with status 1: the final save of the state file failed")
            return 1
        }
        return 0
    }

    /// Lifts the soft descriptor limit to what the host can use (up to the hard limit), and says so; warns when the
    /// hard limit leaves less, since connections past it are refused at accept.
    private static func raiseDescriptorLimit(for host: HostProcess) {
        let logger = host.dependencies.logger
        let wanted = host.descriptorsWanted
        guard let (before, after) = DescriptorLimit.raise(toAtLeast: wanted) else { return }
        if after > before {
            logger.log(.notice, "descriptor limit raised from \(before) to \(after)")
        }
        if after < wanted {
            logger.log(
                .warning,
                "descriptor limit is \(after), under the \(wanted) a full host can use (connections, exec programs): raise the hard limit (ulimit -Hn) to serve them all")
        }
    }

    private static func signalSource(_ number: Int32, handler: @escaping @Sendable () -> Void) -> any DispatchSourceSignal {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler(handler: handler)
        source.resume()
        return source
    }
}

/// Resumes the waiting `run` once, on the first stop signal. Unchecked because the signal sources are not
/// `Sendable` to the compiler; safe because every stored property is read and written under `lock` only.
private final class StopOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Int32, Never>?
    private var sources: [any DispatchSourceSignal] = []

    init(_ continuation: CheckedContinuation<Int32, Never>) { self.continuation = continuation }

    func keep(_ sources: [any DispatchSourceSignal]) {
        lock.withLock { self.sources = sources }
    }

    func resume(_ signal: Int32) {
        let pending = lock.withLock { () -> CheckedContinuation<Int32, Never>? in
            defer { continuation = nil }
            for source in sources { source.cancel() }
            return continuation
        }
        pending?.resume(returning: signal)
    }
}
