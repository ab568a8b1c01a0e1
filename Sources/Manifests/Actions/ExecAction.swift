import Foundation
import Glibc
import IntegrationContract
import JSON
import Logging
import Scheduling

/// `{"exec": {"argv", "env", "files", "inherit_env", "dir", "timeout", "max_output", "wait"}}`: runs a program with an
/// argv list — no shell, so an argument such as `; rm -rf /` stays one argument. `argv[0]` is a fixed path
/// (absolute, or relative to the manifest's directory); the other arguments are templates.
///
/// The child gets `PATH` (the host's), the variables named in `inherit_env`, `env`, and for each entry of `files`
/// the path of a private file holding its value (`ExecFiles`), removed when the program has ended. The result is
/// `{"stdout", "stderr", "status", "timed_out"}` (stdout without its last newline). A nonzero exit is a failure
/// with status 500 and a timeout one with 504, unless `on_error` says otherwise. With `"wait": false` the run
/// goes on at once (as adnanh/webhook does); the exit is logged. Every program takes one of its integration's
/// `limits.exec` slots and one of the host's `ExecSlots` until it has been reaped; with either full the action
/// fails at once with 503. The program runs as `containment` says: by default in namespaces of its own, so that
/// its timeout or its run's cancellation kills everything it started.
struct ExecAction: ActionStep {
    let executable: String
    let arguments: [Template]
    let environment: [(name: String, value: Template)]
    let inheritedEnvironment: [String]
    let files: ExecFiles?
    let directory: String
    let timeout: Duration
    let maxOutput: Int
    /// `wait` (default true): whether the run waits for the process; without it the process is only started.
    let waits: Bool
    let slots: IntegrationExecSlots
    let containment: ExecContainment

    static func decode(_ value: JSONValue, at path: String, context: ManifestDecodingContext) -> ExecAction? {
        let reader = context.reader
        guard let members = reader.object(
            value, at: path, allowed: ["argv", "env", "files", "inherit_env", "dir", "timeout", "max_output", "wait"])
        else { return nil }
        let before = reader.problems.count
        let argvPath = ManifestReader.join(path, "argv")
        var executable: String?
        var arguments: [Template] = []
        if members["argv"] == nil { reader.fail(argvPath, "is required") }
        if let argv = members["argv"], let strings = reader.strings(argv, at: argvPath, nonEmpty: true) {
            if strings[0].contains("{{") {
                reader.fail(ManifestReader.join(argvPath, 0), "must be a fixed path, not a template")
            } else {
                let resolved = resolve(strings[0], against: context.directory)
                if access(resolved, X_OK) != 0 || isDirectory(resolved) {
                    reader.fail(ManifestReader.join(argvPath, 0), "'\(strings[0])' is not an executable file (looked at \(resolved))")
                } else {
                    executable = resolved
                }
            }
            for (index, text) in strings.enumerated().dropFirst() {
                if let template = context.template(text, at: ManifestReader.join(argvPath, index)) { arguments.append(template) }
            }
        }
        var environment: [(name: String, value: Template)] = []
        if let envValue = members["env"], let pairs = reader.stringMap(envValue, at: ManifestReader.join(path, "env")) {
            for pair in pairs {
                let pairPath = ManifestReader.join(ManifestReader.join(path, "env"), pair.key)
                guard ManifestDecodingContext.isVariableName(pair.key) else {
                    reader.fail(pairPath, "is not an environment variable name")
                    continue
                }
                if let template = context.template(pair.value, at: pairPath) { environment.append((pair.key, template)) }
            }
        }
        var files: ExecFiles?
        if let filesValue = members["files"] {
            files = ExecFiles.decode(filesValue, at: ManifestReader.join(path, "files"), context: context)
            for entry in files?.entries ?? [] where environment.contains(where: { $0.name == entry.name }) {
                reader.fail(ManifestReader.join(ManifestReader.join(path, "files"), entry.name), "is also set in env")
            }
        }
        var inherited: [String] = []
        if let inheritValue = members["inherit_env"] {
            let inheritPath = ManifestReader.join(path, "inherit_env")
            inherited = reader.strings(inheritValue, at: inheritPath, nonEmpty: false) ?? []
            for (index, name) in inherited.enumerated() where !ManifestDecodingContext.isVariableName(name) {
                reader.fail(ManifestReader.join(inheritPath, index), "is not an environment variable name")
            }
        }
        var directory = context.directory.path
        if let dir = reader.string(members, "dir", at: path) {
            directory = resolve(dir, against: context.directory)
            if !isDirectory(directory) {
                reader.fail(ManifestReader.join(path, "dir"), "'\(dir)' is not a directory (looked at \(directory))")
            }
        }
        let timeout = reader.number(members, "timeout", at: path, in: 0.001...3600) ?? 30
        let maxOutput = reader.integer(members, "max_output", at: path, in: 0...16_777_216) ?? 65536
        let waits = reader.bool(members, "wait", at: path) ?? true
        guard reader.problems.count == before, let executable else { return nil }
        return ExecAction(
            executable: executable, arguments: arguments, environment: environment, inheritedEnvironment: inherited, files: files,
            directory: directory, timeout: .milliseconds(Int64(timeout * 1000)), maxOutput: maxOutput, waits: waits,
            slots: context.execSlots, containment: context.runtime.containment)
    }

    /// The program's file name, for messages.
    private var programName: String { (executable as NSString).lastPathComponent }

    private static func resolve(_ path: String, against directory: URL) -> String {
        path.hasPrefix("/") ? path : directory.appendingPathComponent(path).standardizedFileURL.path
    }

    private static func isDirectory(_ path: String) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
    }

    func perform(in scope: ManifestScope, reply: inout Reply?) async throws -> JSONValue? {
        let argv = [executable] + arguments.map { $0.render(in: scope) }
        var env = ["PATH=" + (getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin")]
        for name in inheritedEnvironment {
            if let value = getenv(name) { env.append("\(name)=\(String(cString: value))") }
        }
        for (name, template) in environment { env.append("\(name)=\(template.render(in: scope))") }
        let written = try files?.write(in: scope)
        env += written?.environment ?? []
        if !waits {
            try await startDetached(argv, env: env, log: scope.log, files: written)
            return ["status": .null, "stdout": "", "stderr": "", "timed_out": false]
        }
        defer { written?.remove() }
        let output = try await run(argv, env: env, log: scope.log)
        var stdout = String(decoding: output.stdout, as: UTF8.self)
        if stdout.hasSuffix("\n") { stdout.removeLast() }
        let stderr = String(decoding: output.stderr, as: UTF8.self)
        let result: JSONValue = [
            "stdout": .string(stdout), "stderr": .string(stderr), "status": .number(Double(output.status)),
            "timed_out": .bool(output.timedOut),
        ]
        if output.timedOut {
            throw ActionFailure(.timedOut("exec: \(programName) did not finish within \(timeout)"), result: result)
        }
        if output.status != 0 {
            scope.log.warning("exec: \(programName) exited with status \(output.status): \(stderr.prefix(500))")
            throw ActionFailure(.internalError("exec: \(programName) exited with status \(output.status)"), result: result)
        }
        return result
    }

    /// Spawns from this task and lets the process monitor wait; cancelling the task kills the program and all it
    /// started.
    private func run(_ argv: [String], env: [String], log: IntegrationLogger) async throws -> ChildProcess.Output {
        try Task.checkCancellation()
        let child = try await spawn(argv, env: env, log: log)
        let cancelled = CancellationFlag()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ChildProcess.Output, Never>) in
                watch(child, maxOutput: maxOutput, cancelled: cancelled) { continuation.resume(returning: $0) }
            }
        } onCancel: {
            cancelled.set()
            ProcessMonitor.shared.wake()
        }
    }

    /// Spawns now (a failure to start is reported); the monitor reaps the process, logs a failure and removes
    /// the program's `files`.
    private func startDetached(_ argv: [String], env: [String], log: IntegrationLogger, files: ExecFiles.Written?) async throws {
        let child: ChildProcess
        do {
            child = try await spawn(argv, env: env, log: log)
        } catch {
            files?.remove()
            throw error
        }
        let name = programName
        watch(child, maxOutput: 4096, cancelled: CancellationFlag()) { output in
            files?.remove()
            if output.status != 0 || output.timedOut {
                log.warning("exec: \(name) (not waited for) ended with status \(output.status)\(output.timedOut ? " after its timeout" : "")")
            }
        }
    }

    /// Takes one of the integration's slots and one of the host's and starts `argv` on the `ProgramStarter`'s
    /// thread. With no slot free the action fails with 503, with a failed start with 500, cancelled before the start
    /// with `CancellationError`; in each case no slot is kept. A program file busy for writing
    /// (`ETXTBSY`, usually for an instant) is tried again up to four times, 5, 10, 15 and 20 ms later on the host's
    /// clock.
    private func spawn(_ argv: [String], env: [String], log: IntegrationLogger) async throws -> ChildProcess {
        do {
            try slots.acquire()
        } catch .integrationFull {
            log.warning("exec: \(programName) not started: \(slots.name) already runs \(slots.limit) programs (limits.exec)")
            throw ActionFailure(.unavailable(
                "exec: integration \(slots.name) already runs \(slots.limit) programs (its limits.exec); try again later",
                retryAfter: 1))
        } catch .hostFull {
            let limit = slots.host.limit
            log.warning("exec: \(programName) not started: \(limit) programs are already running (--max-exec)")
            throw ActionFailure(.unavailable("exec: \(limit) programs are already running (--max-exec); try again later", retryAfter: 1))
        }
        var attempt = 0
        while true {
            switch await ProgramStarter.shared.start(argv: argv, environment: env, directory: directory, containment: containment) {
            case .success(let child):
                return child
            case .failure(let error) where error.textBusy && attempt < 4:
                attempt += 1
                do {
                    try await DeadlineScheduler.shared.sleep(for: .milliseconds(5 * attempt))
                } catch {
                    slots.release()
                    throw error
                }
            case .failure(let error):
                slots.release()
                throw ActionFailure(.internalError("exec: \(error)"))
            case nil:
                slots.release()
                throw CancellationError()
            }
        }
    }

    /// Hands a started program to the process monitor; its slot comes back once it is reaped, before `completion`.
    private func watch(
        _ child: ChildProcess, maxOutput: Int, cancelled: CancellationFlag,
        completion: @escaping @Sendable (ChildProcess.Output) -> Void
    ) {
        let slots = self.slots
        ProcessMonitor.shared.watch(child, timeout: timeout, maxOutput: maxOutput, cancelled: cancelled) { output in
            slots.release()
            completion(output)
        }
    }
}

extension ExecAction {
    /// `exit 0`, or that the program was started and not waited for.
    func traceSummary(result: JSONValue?, reply: Reply?) -> String {
        guard let status = result?["status"]?.intValue else { return "started, not waited for" }
        return "exit \(status)"
    }
}
