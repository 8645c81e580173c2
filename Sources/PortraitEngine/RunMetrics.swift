import Metrics

/// What runs did, through swift-metrics: counted only where a backend is bootstrapped (the
/// console's `/metrics`); the command line bootstraps none, and then these cost nothing.
enum RunMetrics {
    static func photoWritten(to system: String) {
        Counter(label: "portrait_photos_written_total", dimensions: [("system", system)]).increment()
    }

    static func photoFailed(in system: String) {
        Counter(label: "portrait_photos_failed_total", dimensions: [("system", system)]).increment()
    }

    static func finished(_ command: String, outcome: String) {
        Counter(label: "portrait_runs_total", dimensions: [("command", command), ("outcome", outcome)]).increment()
    }
}
