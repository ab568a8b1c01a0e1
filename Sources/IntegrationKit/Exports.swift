/// `JSONValue` appears in the SDK's API (`Notification.payload`, `Reply.json`), so a plugin gets it with
/// `import IntegrationKit` alone.
@_exported import JSON
