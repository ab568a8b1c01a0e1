import IntegrationContract

/// The contract's notification, named without its module: Foundation has a `Notification` of its own.
typealias Notification = IntegrationContract.Notification
