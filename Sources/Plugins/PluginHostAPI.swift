import CIntegrationABI
import IntegrationContract
import JSON
import Logging

/// The `integration_host_api` table every plugin call receives: C entry points that find their `PluginCall`
/// through `host_ctx`. Built once, never changed.
enum PluginHostAPI {
    nonisolated(unsafe) static let table: UnsafePointer<integration_host_api> = {
        let table = UnsafeMutablePointer<integration_host_api>.allocate(capacity: 1)
        table.initialize(
            to: integration_host_api(
                abi_version: UInt32(INTEGRATION_ABI_VERSION),
                struct_size: UInt32(MemoryLayout<integration_host_api>.size),
                log: log, storage_get: storageGet, storage_set: storageSet, storage_delete: storageDelete,
                storage_keys: storageKeys, storage_increment: storageIncrement,
                storage_compare_and_set: storageCompareAndSet, reply: reply, token: token, error: error))
        return UnsafePointer(table)
    }()

    private static let ok = INTEGRATION_OK.rawValue
    private static let notFound = INTEGRATION_NOT_FOUND.rawValue
    private static let invalidJSON = INTEGRATION_INVALID_JSON.rawValue
    private static let typeMismatch = INTEGRATION_TYPE_MISMATCH.rawValue
    private static let invalidArgument = INTEGRATION_INVALID_ARGUMENT.rawValue
    private static let conflict = INTEGRATION_CONFLICT.rawValue
    private static let quotaExceeded = INTEGRATION_QUOTA_EXCEEDED.rawValue

    /// The ABI status for a refused storage write.
    private static func status(_ error: StorageError) -> Int32 {
        error.reason == .quota ? quotaExceeded : typeMismatch
    }

    private static let log: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, Int) -> Void = {
        context, level, message, length in
        guard let call = PluginCall.from(context), let bytes = bytes(message, length) else { return }
        let logLevel = LogLevel(rawValue: Int(level)) ?? .error
        guard call.log.isEnabled(logLevel) else { return }
        call.log.write(logLevel, String(decoding: bytes, as: UTF8.self))
    }

    private static let storageGet:
        @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int, UnsafeMutablePointer<integration_string>?)
            -> Int32 = { context, key, keyLength, value in
                value?.pointee = integration_string(data: nil, length: 0)
                guard let call = PluginCall.from(context), let key = text(key, keyLength), !key.isEmpty,
                    let value
                else { return invalidArgument }
                guard let stored = call.storage.get(key) else { return notFound }
                value.pointee = call.hostString(stored.serializedBytes())
                return ok
            }

    private static let storageSet:
        @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int, UnsafePointer<CChar>?, Int) -> Int32 = {
            context, key, keyLength, json, jsonLength in
            guard let call = PluginCall.from(context), let key = text(key, keyLength), !key.isEmpty,
                let json = bytes(json, jsonLength)
            else { return invalidArgument }
            guard let value = try? JSONValue(parsing: json) else { return invalidJSON }
            do throws(StorageError) {
                try call.storage.set(key, value)
                return ok
            } catch {
                return status(error)
            }
        }

    private static let storageDelete: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int) -> Int32 = {
        context, key, keyLength in
        guard let call = PluginCall.from(context), let key = text(key, keyLength), !key.isEmpty else {
            return invalidArgument
        }
        return call.storage.delete(key) ? ok : notFound
    }

    private static let storageKeys:
        @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<integration_string>?) -> Int32 = {
            context, keys in
            guard let call = PluginCall.from(context), let keys else { return invalidArgument }
            keys.pointee = call.hostString(JSONValue.array(call.storage.keys().map(JSONValue.string)).serializedBytes())
            return ok
        }

    private static let storageIncrement:
        @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int, Double, UnsafeMutablePointer<Double>?)
            -> Int32 = { context, key, keyLength, delta, newValue in
                guard let call = PluginCall.from(context), let key = text(key, keyLength), !key.isEmpty,
                    delta.isFinite
                else { return invalidArgument }
                do throws(StorageError) {
                    newValue?.pointee = try call.storage.increment(key, by: delta)
                    return ok
                } catch {
                    return status(error)
                }
            }

    private static let storageCompareAndSet:
        @convention(c) (
            UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int, UnsafePointer<CChar>?, Int, UnsafePointer<CChar>?, Int
        ) -> Int32 = { context, key, keyLength, expected, expectedLength, new, newLength in
            guard let call = PluginCall.from(context), let key = text(key, keyLength), !key.isEmpty else {
                return invalidArgument
            }
            var expectedValue: JSONValue?
            var newValue: JSONValue?
            if expected != nil {
                guard let json = bytes(expected, expectedLength) else { return invalidArgument }
                guard let value = try? JSONValue(parsing: json) else { return invalidJSON }
                expectedValue = value
            }
            if new != nil {
                guard let json = bytes(new, newLength) else { return invalidArgument }
                guard let value = try? JSONValue(parsing: json) else { return invalidJSON }
                newValue = value
            }
            do throws(StorageError) {
                return try call.storage.compareAndSet(key, expected: expectedValue, new: newValue) ? ok : conflict
            } catch {
                return status(error)
            }
        }

    private static let reply:
        @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int, UnsafePointer<CChar>?, Int) -> Int32 = {
            context, message, messageLength, options, optionsLength in
            guard let call = PluginCall.from(context), let text = text(message, messageLength) else {
                return invalidArgument
            }
            var reply = Reply(text)
            if options != nil {
                guard let json = bytes(options, optionsLength) else { return invalidArgument }
                guard case .object(let members)? = try? JSONValue(parsing: json) else { return invalidJSON }
                guard reply.apply(options: members) else { return invalidJSON }
            }
            call.setReply(reply)
            return ok
        }

    private static let token:
        @convention(c) (
            UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int, UnsafeMutablePointer<integration_string>?
        ) -> Int32 = { context, name, nameLength, value in
            value?.pointee = integration_string(data: nil, length: 0)
            guard let call = PluginCall.from(context), let value else { return invalidArgument }
            let found: String?
            if name == nil {
                found = call.ownToken
            } else {
                guard let name = text(name, nameLength) else { return invalidArgument }
                found = call.tokens.global[name]
            }
            guard let found else { return notFound }
            value.pointee = call.hostString(found.utf8)
            return ok
        }

    private static let error: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, Int) -> Void = {
        context, message, length in
        guard let call = PluginCall.from(context), let bytes = bytes(message, length) else { return }
        call.setError(String(decoding: bytes, as: UTF8.self))
    }

    /// The plugin's `(pointer, length)` as bytes; `nil` for a NULL pointer with a nonzero length.
    private static func bytes(_ pointer: UnsafePointer<CChar>?, _ length: Int) -> UnsafeRawBufferPointer? {
        guard length >= 0 else { return nil }
        guard let pointer else { return length == 0 ? UnsafeRawBufferPointer(start: nil, count: 0) : nil }
        return UnsafeRawBufferPointer(start: pointer, count: length)
    }

    /// The plugin's `(pointer, length)` as a string; `nil` if it is not valid UTF-8.
    private static func text(_ pointer: UnsafePointer<CChar>?, _ length: Int) -> String? {
        guard let bytes = bytes(pointer, length) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }
}
