import Foundation

/// The host's shared parts, handed to every route.
public final class HostServices: Sendable {
    public let configuration: HostConfiguration
    public let catalog: Catalog
    public let dispatcher: Dispatcher
    public let storage: Storage
    public let logger: HostLogger
    public let outbound: OutboundClient
    /// Slack, Mattermost, Teams and webhook verification, decoding, dedupe and late replies.
    public let platforms: PlatformGateway
    public let startedAt: ContinuousClock.Instant

    public init(
        configuration: HostConfiguration, catalog: Catalog, dispatcher: Dispatcher, storage: Storage,
        logger: HostLogger, outbound: OutboundClient, platforms: PlatformGateway? = nil
    ) {
        self.configuration = configuration
        self.catalog = catalog
        self.dispatcher = dispatcher
        self.storage = storage
        self.logger = logger
        self.outbound = outbound
        self.platforms = platforms ?? PlatformGateway(configuration: configuration, logger: logger, outbound: outbound)
        self.startedAt = .now
    }
}
