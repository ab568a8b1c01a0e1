/// Where a connection sits in an `IdleQueue`: the descriptors of its neighbours, -1 at either end.
struct IdleLink {
    var older: Int32 = -1
    var newer: Int32 = -1
}

/// Connections waiting between requests, longest idle first: a list threaded through descriptor numbers, so
/// joining and leaving costs a few stores and no allocation or reference counting. The links live in an array
/// indexed by descriptor that the owning loop keeps; a descriptor is in at most one queue per links array.
struct IdleQueue {
    /// The longest-idle descriptor; -1 when empty.
    private(set) var oldest: Int32 = -1
    private var newest: Int32 = -1

    var isEmpty: Bool { oldest < 0 }

    mutating func append(_ fd: Int32, links: inout [IdleLink]) {
        links[Int(fd)] = IdleLink(older: newest, newer: -1)
        if newest >= 0 { links[Int(newest)].newer = fd } else { oldest = fd }
        newest = fd
    }

    mutating func remove(_ fd: Int32, links: inout [IdleLink]) {
        let link = links[Int(fd)]
        if link.older >= 0 { links[Int(link.older)].newer = link.newer } else { oldest = link.newer }
        if link.newer >= 0 { links[Int(link.newer)].older = link.older } else { newest = link.older }
        links[Int(fd)] = IdleLink()
    }
}
