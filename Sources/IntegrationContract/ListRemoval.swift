import JSON

/// What removing one element from a stored array did, read under the same lock as the removal: the element taken
/// out (nil when none matched and nothing changed) and how many elements the array holds afterwards.
public struct ListRemoval: Sendable, Equatable {
    public let removed: JSONValue?
    public let count: Int

    public init(removed: JSONValue?, count: Int) {
        self.removed = removed
        self.count = count
    }
}
