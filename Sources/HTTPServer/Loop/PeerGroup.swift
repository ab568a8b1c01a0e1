/// One client address's connections on one event loop, for `maxConnectionsPerPeer`: how many there are and which
/// of them are idle, so a client over its cap gives up its own longest-idle connection.
final class PeerGroup {
    let key: PeerKey
    var connections = 0
    var idle = IdleQueue()

    init(key: PeerKey) { self.key = key }
}
