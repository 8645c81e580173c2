import PortraitCore

/// What happened to one person in one target.
public struct ItemOutcome: Sendable {
    public enum Action: String, Sendable, Codable {
        case uploaded, unchanged, deleted, skipped, failed
    }

    /// What a write overwrote, when that is worth telling.
    public enum Overwrote: String, Sendable, Codable {
        /// A photo someone changed there since Portrait's last write.
        case changed
        /// Nothing: the photo was deleted there since Portrait's last write, and is restored.
        case deleted
        /// A photo the person already had there before Portrait's first write.
        case existing
    }

    /// Whose failure it is: this item's, the source photo's (told once per person), or the
    /// target's, which became unreachable (told once per target).
    public enum Failure: Sendable {
        case item, source, unreachable
    }

    public var person: String
    public var system: String
    public var action: Action
    /// Why it failed or was skipped, or what a write overwrote.
    public var message: String?
    public var overwrote: Overwrote?
    public var failure: Failure?
    /// The photo version a write's reply told.
    public var version: String?

    public init(person: String, system: String, action: Action, message: String? = nil, overwrote: Overwrote? = nil,
                failure: Failure? = nil, version: String? = nil) {
        self.person = person
        self.system = system
        self.action = action
        self.message = message
        self.overwrote = overwrote
        self.failure = failure
        self.version = version
    }
}

/// One person's push: an outcome per target, and what was noticed on the way.
public struct PersonResult: Sendable {
    public var person: String
    public var outcomes: [ItemOutcome] = []
    public var warnings: [ReportedProblem] = []
    /// A face crop found no face in the photo and cut at the centre.
    public var noFace = false
    /// False when the run was stopped before every target was done.
    public var complete = true

    public var failed: Bool { outcomes.contains { $0.action == .failed } }
}

/// Counts for one target, as `--json` prints them.
public struct TargetTally: Sendable, Equatable, Codable {
    public var uploaded = 0
    public var unchanged = 0
    public var deleted = 0
    public var skipped = 0
    public var failed = 0
    /// Uploads that replaced a photo the person already had there before Portrait's first write.
    public var existingReplaced = 0

    public init() {}

    mutating func count(_ outcome: ItemOutcome) {
        switch outcome.action {
        case .uploaded: uploaded += 1
        case .unchanged: unchanged += 1
        case .deleted: deleted += 1
        case .skipped: skipped += 1
        case .failed: failed += 1
        }
        if outcome.overwrote == .existing { existingReplaced += 1 }
    }

    enum CodingKeys: String, CodingKey {
        case uploaded, unchanged, deleted, skipped, failed
        case existingReplaced = "existing_replaced"
    }
}

/// A problem worth a line in the report: an item that failed, or a warning.
public struct ReportedProblem: Sendable, Equatable, Codable {
    public var person: String
    public var system: String
    public var message: String

    public init(person: String, system: String, message: String) {
        self.person = person
        self.system = system
        self.message = message
    }
}

public struct PushReport: Sendable {
    public var source: String
    public var dryRun: Bool
    /// Target names in the order given, where each points, and what it is written.
    public var targetOrder: [String]
    public var targetLocations: [String: String] = [:]
    public var targetProfiles: [String: [RenditionProfile]] = [:]
    public var targets: [String: TargetTally]
    public var errors: [ReportedProblem] = []
    public var warnings: [ReportedProblem] = []
    /// Writes that overwrote a photo someone else had changed since Portrait's last write.
    public var replaced: [ReportedProblem] = []
    /// Writes that put back a photo someone had deleted since Portrait's last write.
    public var restored: [ReportedProblem] = []
    /// People whose photo had no face for a face crop: cut at the centre instead.
    public var noFace: [String] = []
    /// Systems that stopped answering during the run, with why; their remaining items failed.
    public var unreachable: [String: String] = [:]
    /// Every person's outcome in every target, in the order they finished.
    public var items: [ItemOutcome] = []
    /// Everyone the source listed (within `--only`).
    public var people = 0
    /// People done with every target.
    public var done = 0
    public var interrupted = false
    public var runId: Int64?
    public var seconds: Double = 0

    public init(source: String, dryRun: Bool, targetOrder: [String]) {
        self.source = source
        self.dryRun = dryRun
        self.targetOrder = targetOrder
        targets = Dictionary(uniqueKeysWithValues: targetOrder.map { ($0, TargetTally()) })
    }

    public var hasFailures: Bool { !errors.isEmpty || !unreachable.isEmpty }

    mutating func record(_ result: PersonResult) {
        if result.complete { done += 1 }
        warnings += result.warnings
        if result.noFace { noFace.append(result.person) }
        var sourceFailureTold = false
        for outcome in result.outcomes {
            items.append(outcome)
            targets[outcome.system]?.count(outcome)
            let problem = ReportedProblem(person: outcome.person, system: outcome.system, message: outcome.message ?? "")
            switch (outcome.action, outcome.failure, outcome.overwrote) {
            case (.failed, .unreachable?, _):
                if unreachable[outcome.system] == nil { unreachable[outcome.system] = outcome.message ?? "" }
            case (.failed, .source?, _):
                if !sourceFailureTold { errors.append(ReportedProblem(person: outcome.person, system: source, message: outcome.message ?? "")) }
                sourceFailureTold = true
            case (.failed, _, _):
                errors.append(problem)
            case (.uploaded, _, .changed?):
                replaced.append(problem)
            case (.uploaded, _, .deleted?):
                restored.append(problem)
            default:
                break
            }
        }
    }

    /// One line for the store's run table: counts per target.
    public var summaryLine: String {
        targetOrder.map { name in
            let t = targets[name] ?? TargetTally()
            return "\(name): \(t.uploaded) uploaded, \(t.unchanged) unchanged, \(t.skipped) skipped, \(t.failed) failed"
        }.joined(separator: "; ")
    }

    /// How the run ended, for the store: `ok`, `partial` (some items failed), `failed` (a system
    /// became unreachable), `interrupted`.
    public var outcome: String {
        interrupted ? "interrupted" : !unreachable.isEmpty ? "failed" : hasFailures ? "partial" : "ok"
    }
}

/// Progress of a push or pull as it works, for a progress bar and `-v`.
public enum RunProgress: Sendable {
    /// More people were listed; `total` is everyone listed so far.
    case listed(total: Int)
    /// One more person is done with every target.
    case finished(PersonResult)
    /// One more person is pulled: "downloaded", "unchanged", "no photo" or "failed: why".
    case pulled(person: String, outcome: String, failed: Bool)
}
