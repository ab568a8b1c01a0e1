import CIntegrationABI
import IntegrationContract
import JSON
import Logging
import Synchronization

/// One running `handle` call: what its `host_ctx` points to. It carries what the host API needs (storage, log,
/// tokens), collects the reply or error, and owns every buffer handed to the plugin until the call returns.
final class PluginCall: Sendable {
    let storage: any IntegrationStorage
    let log: Log
    /// The tokens `token` answers from: all of them and this plugin's own. Found on first use: a worker reads
    /// them out of the request only for a plugin that asks.
    private let tokenLookup: Deferred<FoundTokens>
    var tokens: Tokens { tokenLookup.value.all }
    var ownToken: String? { tokenLookup.value.own }
    private let state = Mutex(State())

    private struct State {
        var reply: Reply?
        var error: String?
        var buffers: [HostBuffer] = []
    }

    /// A buffer lent to the plugin, freed when the call returns. Unchecked because it holds a raw pointer; safe
    /// because only the call's own lock-guarded list holds it, and it is freed once, after the call returned.
    private struct HostBuffer: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<CChar>
    }

    /// How a call ended.
    enum Outcome: Sendable {
        case reply(Reply?)
        case failure(status: Int, message: String)
    }

    /// Where the plugin's log lines go: the run's logger in process, frames to the host in a worker.
    struct Log: Sendable {
        let isEnabled: @Sendable (LogLevel) -> Bool
        let write: @Sendable (LogLevel, String) -> Void
    }

    convenience init(storage: any IntegrationStorage, log: Log, tokens: Tokens, ownToken: String?) {
        self.init(storage: storage, log: log, tokens: { (tokens, ownToken) })
    }

    /// `tokens` is called at most once, when the plugin first asks for a token.
    init(storage: any IntegrationStorage, log: Log, tokens: @escaping @Sendable () -> (Tokens, String?)) {
        self.storage = storage
        self.log = log
        self.tokenLookup = Deferred {
            let (all, own) = tokens()
            return FoundTokens(all: all, own: own)
        }
    }

    /// All the tokens and this plugin's own.
    private struct FoundTokens: Sendable {
        let all: Tokens
        let own: String?
    }

    convenience init(invocation: Invocation) {
        let logger = invocation.log
        self.init(
            storage: invocation.storage,
            log: Log(isEnabled: { logger.isEnabled($0) }, write: { logger.log($0, $1) }),
            tokens: invocation.allTokens, ownToken: invocation.token)
    }

    /// Calls `handle` with `request` (JSON, NUL-terminated after `count` bytes) and frees the host buffers after.
    func perform(_ handle: integration_handle_fn, request: [UInt8], count: Int, plugin: String) -> Outcome {
        let status = withExtendedLifetime(self) {
            request.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { chars in
                    handle(chars.baseAddress, count, PluginHostAPI.table, Unmanaged.passUnretained(self).toOpaque())
                }
            }
        }
        let finished = state.withLock { state in
            let buffers = state.buffers
            state.buffers = []
            return (state.reply, state.error, buffers)
        }
        for buffer in finished.2 { buffer.pointer.deallocate() }
        if status == 0 { return .reply(finished.0) }
        let code = (400...599).contains(status) ? Int(status) : 500
        return .failure(status: code, message: finished.1 ?? "plugin \(plugin) failed with status \(status)")
    }

    /// The call behind a `host_ctx` pointer.
    static func from(_ context: UnsafeMutableRawPointer?) -> PluginCall? {
        guard let context else { return nil }
        return Unmanaged<PluginCall>.fromOpaque(context).takeUnretainedValue()
    }

    func setReply(_ reply: Reply) { state.withLock { $0.reply = reply } }

    func setError(_ message: String) { state.withLock { $0.error = message } }

    /// Copies `bytes` into a NUL-terminated buffer that stays valid until `handle` returns.
    func hostString(_ bytes: some Collection<UInt8>) -> integration_string {
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        buffer.withMemoryRebound(to: UInt8.self, capacity: bytes.count + 1) { raw in
            _ = UnsafeMutableBufferPointer(start: raw, count: bytes.count).initialize(from: bytes)
            raw[bytes.count] = 0
        }
        state.withLock { $0.buffers.append(HostBuffer(pointer: buffer)) }
        return integration_string(data: UnsafePointer(buffer), length: bytes.count)
    }
}
