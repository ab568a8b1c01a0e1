import Foundation
import HostCore
import JSON

extension IntegrationListing {
    /// The listing as `GET /integrations` (and `list --json`) answers it; README.md shows the shape.
    public var json: JSONValue {
        [
            "integrations": .array(items.map(\.json)),
            "conflicts": .array(conflicts.map(\.json)),
            "problems": .array(problems.map { .string($0) }),
            "warnings": .array(warnings.map { .string($0) }),
        ]
    }
}

extension IntegrationListing.Item {
    var json: JSONValue {
        var members: [String: JSONValue] = [
            "name": .string(name),
            "kind": .string(kind),
            "file": .string(file),
            "summary": .string(summary),
            "commands": .array(commands.map { .string($0) }),
            "routes": .array(routes.map { ["path": .string($0.path), "methods": .array($0.methods.map { .string($0) })] }),
            "auth": [
                "required": .bool(auth.isRequired),
                "summary": .string(auth.summary),
                "rules": auth.rules.map { .string($0) } ?? .null,
                "hook": auth.hook.map { .string($0) } ?? .null,
            ],
            "conflicts": .array(conflicts.map { .string($0.description) }),
            "state": .string(state),
            "unavailable_reason": unavailableReason.map { .string($0) } ?? .null,
        ]
        if let statistics { members["runs"] = statistics.json }
        return .object(members)
    }
}

extension RunStatistics.Snapshot {
    var json: JSONValue {
        [
            "count": .number(Double(runs)),
            "failures": .number(Double(failures)),
            "rejections": .number(Double(rejections)),
            "timeouts": .number(Double(timeouts)),
            "p50_ms": p50.map { .number($0.milliseconds) } ?? .null,
            "p99_ms": p99.map { .number($0.milliseconds) } ?? .null,
            "recent": ["runs": .number(Double(recentRuns)), "failures": .number(Double(recentFailures))],
            "last_error": lastError.map { error in
                ["message": .string(error.message), "at": .string(error.at.formatted(.iso8601))]
            } ?? .null,
        ]
    }
}

extension CatalogConflict {
    var json: JSONValue {
        [
            "claim": .string(claim),
            "winner": winner.json,
            "others": .array(others.map(\.json)),
        ]
    }
}

extension CatalogConflict.Claimant {
    var json: JSONValue { ["name": .string(name), "file": .string(file)] }
}

extension Duration {
    /// In milliseconds, to the microsecond.
    fileprivate var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds / 1_000_000_000_000) / 1000
    }
}
