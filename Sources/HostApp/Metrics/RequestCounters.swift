import Synchronization

/// Requests answered, by route and status code: one relaxed atomic add per request into a table fixed at start,
/// so counting takes no lock and allocates nothing. `/metrics` reads it.
public final class RequestCounters: @unchecked Sendable {
    /// The route labels, fixed at start: the host's own paths, then `hooksRoute` and `otherRoute`.
    public let routes: [String]
    /// `/hooks/NAME`, whatever NAME.
    public static let hooksRoute = "/hooks/<name>"
    /// Routes declared by integrations, and paths nothing answers.
    public static let otherRoute = "other"
    private static let codes = 600
    // Unchecked Sendable: the cells are atomics, allocated in `init` and freed in `deinit`, never moved.
    private let cells: UnsafeMutablePointer<Atomic<Int>>

    /// - Parameter paths: the host's fixed route paths.
    public init(paths: [String]) {
        routes = paths.sorted() + [RequestCounters.hooksRoute, RequestCounters.otherRoute]
        let count = routes.count * RequestCounters.codes
        cells = .allocate(capacity: count)
        for index in 0..<count { (cells + index).initialize(to: Atomic(0)) }
    }

    deinit {
        cells.deinitialize(count: routes.count * RequestCounters.codes)
        cells.deallocate()
    }

    /// The index of route label `label`, for `record`; `otherIndex` for a label not given at start.
    public func routeIndex(of label: String) -> Int { routes.firstIndex(of: label) ?? otherIndex }

    /// The index of `hooksRoute` and of `otherRoute`.
    public var hooksIndex: Int { routes.count - 2 }
    public var otherIndex: Int { routes.count - 1 }

    /// Counts one answered request.
    public func record(route: Int, status: Int) {
        let code = (100..<RequestCounters.codes).contains(status) ? status : 0
        cells[route * RequestCounters.codes + code].add(1, ordering: .relaxed)
    }

    /// Every non-zero count: route label, status code (0 for one outside 100–599), count.
    public func snapshot() -> [(route: String, code: Int, count: Int)] {
        var counts: [(String, Int, Int)] = []
        for (index, route) in routes.enumerated() {
            for code in 0..<RequestCounters.codes {
                let count = cells[index * RequestCounters.codes + code].load(ordering: .relaxed)
                if count > 0 { counts.append((route, code, count)) }
            }
        }
        return counts
    }
}
