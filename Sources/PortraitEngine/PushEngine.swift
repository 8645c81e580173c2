import Foundation
import PortraitCore
import PortraitImaging
import PortraitStore

/// Carries each person's photo from a source to every target.
///
/// Per person: find their account in each target, skip targets where nothing changed, otherwise
/// read the source photo once, render every rendition the targets want from one decode, and
/// write. The store records each write as it happens, so an interrupted run resumes where it
/// stopped. The engine knows systems only through `PhotoSystem` and `PhotoWriting`.
public struct PushEngine: Sendable {
    public struct Options: Sendable {
        public var dryRun: Bool
        /// Write even when nothing changed.
        public var force: Bool

        public init(dryRun: Bool = false, force: Bool = false) {
            self.dryRun = dryRun
            self.force = force
        }
    }

    let store: Store
    let pipeline = ImagePipeline()
    /// Photos being read or rendered at once: bounds memory, since each holds a whole original.
    let photoSlots: Limiter
    /// Renders at once: one per core.
    let renderSlots: Limiter
    let cores: Int

    public init(store: Store, cores: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.store = store
        self.cores = max(1, cores)
        photoSlots = Limiter(width: self.cores + 2)
        renderSlots = Limiter(width: self.cores)
    }

    public func push(
        from source: any PhotoSystem,
        to targets: [any PhotoWriting],
        options: Options,
        progress: @escaping @Sendable (RunProgress) -> Void = { _ in }
    ) async throws -> PushReport {
        let started = Date()
        try await source.check()
        var indexes: [TargetIndex] = []
        for target in targets {
            try await target.check()
            indexes.append(try await TargetIndex(target: target, written: store.writtenStates(system: target.name)))
        }
        let runId = options.dryRun ? nil : try await store.beginRun(
            command: "push", source: source.name, targets: targets.map(\.name), dryRun: options.dryRun)
        var report = PushReport(
            source: source.name, dryRun: options.dryRun, targetOrder: targets.map(\.name),
            targets: Dictionary(uniqueKeysWithValues: targets.map { ($0.name, TargetTally()) }),
            errors: [], warnings: [], replaced: [], people: 0, runId: runId, seconds: 0)

        let job = PersonJob(engine: self, source: source, indexes: indexes, options: options, runId: runId ?? 0)
        // Enough people in flight that a remote target always has requests waiting for its
        // throttle while others render: memory is bounded by `photoSlots`, not by this.
        let width = cores * 2 + 4 * (targets.map(\.capabilities.concurrency).max() ?? 1)
        try await forEachPerson(in: source.listPeople(), width: width, onPage: { page in
            for problem in page.problems {
                let item = ReportedProblem(person: problem.subject, system: source.name, message: problem.message)
                if problem.severity == .warning {
                    report.warnings.append(item)
                } else {
                    report.errors.append(item)
                    for target in targets { report.targets[target.name]?.count(.failed) }
                }
            }
            report.people += page.accounts.count
            progress(.listed(total: report.people))
        }, work: { account in
            await job.run(account)
        }, collect: { outcomes in
            for outcome in outcomes { report.record(outcome) }
            progress(.finished(person: outcomes.first?.person ?? "", failed: outcomes.contains { $0.action == .failed }))
        })

        report.errors.sort { ($0.person, $0.system) < ($1.person, $1.system) }
        report.seconds = Date().timeIntervalSince(started)
        if let runId {
            let outcome = report.hasFailures ? "partial" : "ok"
            try await store.finishRun(runId, outcome: outcome, summary: report.summaryLine)
        }
        return report
    }

    func render(_ photo: Photo, profiles: [RenditionProfile]) async throws -> RenderedPhoto {
        try await renderSlots.withPermit {
            try await offload { [pipeline] in try pipeline.render(photo, profiles: profiles) }
        }
    }
}

extension PushReport {
    mutating func record(_ outcome: ItemOutcome) {
        targets[outcome.system]?.count(outcome.action)
        let problem = ReportedProblem(person: outcome.person, system: outcome.system, message: outcome.message ?? "")
        switch outcome.action {
        case .failed: errors.append(problem)
        case .uploaded where outcome.message != nil: replaced.append(problem)
        default: break
        }
    }

    /// One line for the store's run table: counts per target.
    var summaryLine: String {
        targetOrder.map { name in
            let t = targets[name] ?? TargetTally()
            return "\(name): \(t.uploaded) uploaded, \(t.unchanged) unchanged, \(t.skipped) skipped, \(t.failed) failed"
        }.joined(separator: "; ")
    }
}

/// A target's people by the key the source is matched on, and what Portrait last wrote there.
struct TargetIndex: Sendable {
    let target: any PhotoWriting
    let accounts: [String: [Account]]
    let written: [String: WrittenState]
    /// The profiles as the store records them; a change means every photo is rendered again.
    let profileText: String

    init(target: any PhotoWriting, written: [String: WrittenState]) async throws {
        self.target = target
        self.written = written
        let key = target.capabilities.matchKey
        var accounts: [String: [Account]] = [:]
        for try await page in target.listPeople() {
            for account in page.accounts {
                guard let value = account.keys[key] else { continue }
                accounts[value, default: []].append(account)
            }
        }
        self.accounts = accounts
        profileText = target.capabilities.renditions.map(\.description).joined(separator: "; ")
    }

    /// The person's account here, or why there is none.
    func account(for keys: MatchKeys) -> Result<Account, SystemError> {
        let key = target.capabilities.matchKey
        guard let value = keys[key] else {
            return .failure(SystemError(.notFound, "has no \(key.rawValue), which \(target.name) finds people by"))
        }
        switch accounts[value] ?? [] {
        case let found where found.count > 1:
            return .failure(SystemError(.notFound, "\(found.count) accounts in \(target.name) have \(key.rawValue) \(value); make it unique there"))
        case let found where found.count == 1:
            return .success(found[0])
        default:
            if let created = target.newAccount(for: keys) { return .success(created) }
            return .failure(SystemError(.notFound, "nobody in \(target.name) has \(key.rawValue) \(value)"))
        }
    }
}
