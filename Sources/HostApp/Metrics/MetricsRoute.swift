import HTTPServer
import HostCore
import IntegrationContract
import Manifests
import Platforms

/// `GET /metrics`: the host's counters in Prometheus' text format. Admins only (the admin commands' check), since
/// it names every integration and how it fares; `--metrics-public` opens it to every caller.
public struct MetricsRoute: HostRoute {
    /// What the metrics are read from.
    public struct Sources: Sendable {
        public var requests: RequestCounters
        public var statistics: RunStatistics
        public var catalog: Catalog
        public var execSlots: ExecSlots
        public var deliverer: ReplyDeliverer
        public var storage: Storage
        public var deliveries: DeliveryLog
    }

    let sources: Sources
    let admin: AdminEndpoint
    /// Whether callers without the admin token may read it (`--metrics-public`).
    let isPublic: Bool

    public init(sources: Sources, admin: AdminEndpoint, isPublic: Bool) {
        self.sources = sources
        self.admin = admin
        self.isPublic = isPublic
    }

    public var path: String { "/metrics" }
    public var methods: Set<HTTPMethod> { [.get] }

    public func respond(to request: HTTPRequest, context: RouteContext) async -> HTTPResponse {
        if !isPublic, let refusal = admin.readRefusal(request, context: context) { return refusal }
        return HTTPResponse(status: .ok, contentType: PrometheusText.contentType, body: render())
    }

    /// The exposition text.
    func render() -> String {
        var out = PrometheusText()
        out.family("integration_host_http_requests_total", "counter", help: "Requests answered, by route and status code.")
        for (route, code, count) in sources.requests.snapshot() {
            out.sample("integration_host_http_requests_total", [("route", route), ("code", String(code))], count)
        }

        let ran = sources.statistics.integrations
        let snapshots = ran.map { ($0, sources.statistics.snapshot(of: $0)) }
        let counters: [(String, String, KeyPath<RunStatistics.Snapshot, Int>)] = [
            ("integration_host_integration_runs_total", "Runs, by integration.", \.runs),
            ("integration_host_integration_failures_total", "Runs that ended with a 5xx error.", \.failures),
            ("integration_host_integration_rejections_total", "Runs that ended with a 4xx error.", \.rejections),
            ("integration_host_integration_timeouts_total", "Runs still going at their deadline.", \.timeouts),
        ]
        for (name, help, value) in counters {
            out.family(name, "counter", help: help)
            for (integration, snapshot) in snapshots {
                out.sample(name, [("integration", integration)], snapshot[keyPath: value])
            }
        }
        let histogram = "integration_host_integration_run_duration_seconds"
        out.family(histogram, "histogram", help: "How long finished runs took, by integration.")
        for (integration, snapshot) in snapshots {
            let bounds = RunStatistics.histogramBounds.map(PrometheusText.format) + ["+Inf"]
            for (bound, count) in zip(bounds, snapshot.histogram) {
                out.sample("\(histogram)_bucket", [("integration", integration), ("le", bound)], count)
            }
            out.sample("\(histogram)_sum", [("integration", integration)], snapshot.durationSum)
            out.sample("\(histogram)_count", [("integration", integration)], snapshot.histogram.last ?? 0)
        }

        out.family("integration_host_integrations_loaded", "gauge", help: "Integrations loaded now.")
        out.sample("integration_host_integrations_loaded", [], sources.catalog.count)
        out.family(
            "integration_host_plugin_worker_restarts_total", "counter",
            help: "Plugin worker processes restarted after a crash, since the plugin's file was loaded.")
        for integration in sources.catalog.integrations where integration.workerRestarts > 0 {
            out.sample("integration_host_plugin_worker_restarts_total", [("integration", integration.name)], integration.workerRestarts)
        }

        out.family("integration_host_exec_slots_in_use", "gauge", help: "Programs exec actions run now, host-wide.")
        out.sample("integration_host_exec_slots_in_use", [], sources.execSlots.inUse)
        out.family("integration_host_exec_slots_limit", "gauge", help: "The most exec programs at once (--max-exec).")
        out.sample("integration_host_exec_slots_limit", [], sources.execSlots.limit)

        out.family("integration_host_late_replies_pending", "gauge", help: "Late replies being delivered now, retries included.")
        out.sample("integration_host_late_replies_pending", [], sources.deliverer.pending)
        let outcomes = sources.deliverer.outcomes
        out.family("integration_host_late_replies_total", "counter", help: "Late replies, by how their delivery ended.")
        out.sample("integration_host_late_replies_total", [("outcome", "delivered")], outcomes.delivered)
        out.sample("integration_host_late_replies_total", [("outcome", "failed")], outcomes.failed)
        out.sample("integration_host_late_replies_total", [("outcome", "over_budget")], outcomes.overBudget)

        let usage = sources.storage.usage()
        out.family("integration_host_storage_keys", "gauge", help: "Keys each integration stores.")
        for entry in usage { out.sample("integration_host_storage_keys", [("integration", entry.integration)], entry.keys) }
        out.family("integration_host_storage_bytes", "gauge", help: "Bytes of keys and JSON values each integration stores.")
        for entry in usage { out.sample("integration_host_storage_bytes", [("integration", entry.integration)], entry.bytes) }

        out.family("integration_host_delivery_log_records", "gauge", help: "Requests the delivery log holds, by integration.")
        for (integration, count) in sources.deliveries.counts() {
            out.sample("integration_host_delivery_log_records", [("integration", integration)], count)
        }
        return out.text
    }
}
