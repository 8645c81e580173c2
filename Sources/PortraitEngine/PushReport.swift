import PortraitCore

/// What happened to one person in one target.
public struct ItemOutcome: Sendable {
    public enum Action: String, Sendable {
        case uploaded, unchanged, deleted, skipped, failed
    }

    public var person: String
    public var system: String
    public var action: Action
    /// Why it failed or was skipped, or what a write replaced.
    public var message: String?
}

/// Counts for one target, as `--json` prints them.
public struct TargetTally: Sendable, Equatable, Codable {
    public var uploaded = 0
    public var unchanged = 0
    public var deleted = 0
    public var skipped = 0
    public var failed = 0

    public init() {}

    mutating func count(_ action: ItemOutcome.Action) {
        switch action {
        case .uploaded: uploaded += 1
        case .unchanged: unchanged += 1
        case .deleted: deleted += 1
        case .skipped: skipped += 1
        case .failed: failed += 1
        }
    }
}

/// A problem worth a line in the report: an item that failed, or a warning.
public struct ReportedProblem: Sendable, Equatable, Codable {
    public var person: String
    public var system: String
    public var message: String
}

public struct PushReport: Sendable {
    public var source: String
    public var dryRun: Bool
    /// Target names in the order given.
    public var targetOrder: [String]
    public var targets: [String: TargetTally]
    public var errors: [ReportedProblem]
    public var warnings: [ReportedProblem]
    /// Writes that overwrote a photo someone else had changed since Portrait's last write.
    public var replaced: [ReportedProblem]
    public var people: Int
    public var runId: Int64?
    public var seconds: Double

    public var hasFailures: Bool { !errors.isEmpty }
}

/// Progress of a push or pull as it works, for a progress bar.
public enum RunProgress: Sendable {
    /// More people were listed; `total` is everyone listed so far.
    case listed(total: Int)
    /// One more person is done with every target.
    case finished(person: String, failed: Bool)
}
