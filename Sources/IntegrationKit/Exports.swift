/// `JSONValue` appears in the SDK's API (`Notification.payload`, `Reply.json`), so a plugin gets it with
/// `import IntegrationKit` alone.
@_exported import JSON
import HTTPTypes
import IntegrationContract

// The contract's values, under the names a plugin uses: the same types the host builds and reads, so nothing is
// kept in step by hand. (The contract's own `Integration` is the host's view of a loaded integration; a plugin
// implements the SDK's `Integration` below instead.)

/// One incoming event, whatever platform sent it.
public typealias Notification = IntegrationContract.Notification
/// HipChat's `room_message` webhook, typed.
public typealias HipChatMessage = IntegrationContract.HipChatMessage
/// What an integration answers.
public typealias Reply = IntegrationContract.Reply
/// The tokens given to the host on its command line. Never log their values.
public typealias Tokens = IntegrationContract.Tokens
/// An error that chooses its HTTP status: throw it from `run` to answer `{"error": message}` with `status`.
public typealias IntegrationError = IntegrationContract.IntegrationError
/// Request and reply headers, in order; names compare without case.
public typealias HTTPHeaders = HTTPTypes.HTTPHeaders
