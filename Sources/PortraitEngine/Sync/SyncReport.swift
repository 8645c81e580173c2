import Foundation

/// What a sync did (or, dry, would do).
public struct SyncReport: Sendable {
    /// One line of the plan for one person.
    public struct Change: Sendable, Equatable, Codable {
        public var person: String
        public var action: SyncPlan.Action
        public var from: String?
        public var to: [String]
        public var reason: String
    }

    public var dryRun: Bool
    public var targetOrder: [String]
    public var targets: [String: TargetTally]
    /// People joined across the systems (within `--person`).
    public var people = 0
    public var done = 0
    public var changes: [Change] = []
    /// Per approval source read for the first time: the photos already there, taken as approved or
    /// queued as `existing` says.
    public var foundAtStart: [String: FoundAtStart] = [:]
    public struct FoundAtStart: Sendable, Equatable, Encodable {
        public var approved = 0
        public var queued = 0
    }
    /// Photos put in the approval queue this run, and waiting in all.
    public var queued = 0
    public var waiting = 0
    public var errors: [ReportedProblem] = []
    public var warnings: [ReportedProblem] = []
    public var unreachable: [String: String] = [:]
    public var interrupted = false
    public var runId: Int64?
    public var seconds: Double = 0

    public init(dryRun: Bool, targets: [String]) {
        self.dryRun = dryRun
        targetOrder = targets
        self.targets = Dictionary(uniqueKeysWithValues: targets.map { ($0, TargetTally()) })
    }

    public var hasFailures: Bool { !errors.isEmpty || !unreachable.isEmpty }

    mutating func record(_ result: SyncPersonResult) {
        if result.result.complete { done += 1 }
        changes += result.changes
        errors += result.errors
        warnings += result.result.warnings
        if result.queued { queued += 1 }
        if let found = result.foundAtStart {
            if found.approved { foundAtStart[found.source, default: .init()].approved += 1 } else { foundAtStart[found.source, default: .init()].queued += 1 }
        }
        for outcome in result.result.outcomes {
            targets[outcome.system]?.count(outcome)
            switch (outcome.action, outcome.failure) {
            case (.failed, .unreachable?):
                if unreachable[outcome.system] == nil { unreachable[outcome.system] = outcome.message ?? "" }
            case (.failed, _):
                errors.append(ReportedProblem(person: outcome.person, system: outcome.system, message: outcome.message ?? ""))
            default:
                break
            }
        }
    }

    public var summaryLine: String {
        let counts = targetOrder.map { name in
            let t = targets[name] ?? TargetTally()
            return "\(name): \(t.uploaded) written, \(t.unchanged) unchanged, \(t.deleted) deleted, \(t.failed) failed"
        }
        return (["\(changes.count) change\(changes.count == 1 ? "" : "s"), \(queued) queued"] + counts).joined(separator: "; ")
    }

    public var outcome: String {
        interrupted ? "interrupted" : !unreachable.isEmpty ? "failed" : hasFailures ? "partial" : "ok"
    }
}

/// One person's sync.
struct SyncPersonResult: Sendable {
    /// The outcome in each target, as push reports them.
    var result: PersonResult
    var changes: [SyncReport.Change] = []
    /// Problems that are the person's, not one target's (a source photo that cannot be read).
    var errors: [ReportedProblem] = []
    var queued = false
    /// A photo that was in an approval source before the first sync, and whether it was approved.
    var foundAtStart: (source: String, approved: Bool)?
}
