import Foundation
import PortraitCore
import PortraitImaging
import PortraitStore
import Synchronization

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
        /// Only these people (a mail, UPN, employee id or source id each, any case); all when empty.
        public var only: Set<String>
        /// Ctrl-C: start no more people or writes, finish those in flight.
        public var stop: StopSignal
        /// `[guidelines]`: photos that fall short are reported, or with `strict` not written.
        public var guidelines: Guidelines?
        public var strict: Bool

        public init(dryRun: Bool = false, force: Bool = false, only: Set<String> = [], stop: StopSignal = StopSignal(),
                    guidelines: Guidelines? = nil, strict: Bool = false) {
            self.dryRun = dryRun
            self.force = force
            self.only = Set(only.map { $0.lowercased() })
            self.stop = stop
            self.guidelines = guidelines
            self.strict = strict
        }

        /// Whether `--only` lets this person through.
        func includes(_ keys: MatchKeys, id: String) -> Bool {
            only.isEmpty || !matches(keys, id: id).isEmpty
        }

        /// The `--only` values that name this person.
        func matches(_ keys: MatchKeys, id: String) -> Set<String> {
            only.intersection(keys.names.union([id.lowercased()]))
        }
    }

    let store: Store
    let imaging: Imaging
    let cores: Int

    public init(store: Store, pipeline: ImagePipeline = ImagePipeline(), cores: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.store = store
        self.cores = max(1, cores)
        imaging = Imaging(pipeline: pipeline, cores: self.cores)
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
            let written = try await store.writtenStates(system: target.name, location: target.location)
            let pending = try await store.pendingWrites(system: target.name, location: target.location)
            indexes.append(try await TargetIndex(target: target, listing: store.people(of: target), written: written, pending: pending))
        }
        let runId = options.dryRun ? nil : try await store.beginRun(
            command: "push", source: source.name, targets: targets.map(\.name), dryRun: options.dryRun)
        var report = PushReport(source: source.name, dryRun: options.dryRun, targetOrder: targets.map(\.name))
        report.runId = runId
        var onlyFound: Set<String> = []
        for target in targets {
            report.targetLocations[target.name] = target.location
            report.targetProfiles[target.name] = target.capabilities.renditions
        }

        let writer = TargetWriter(store: store, imaging: imaging, dryRun: options.dryRun, force: options.force, runId: runId)
        let job = PersonJob(imaging: imaging, writer: writer, source: source, indexes: indexes, options: options,
                            seen: try await store.seenVersions(system: source.name, location: source.location))
        // Enough people in flight that a remote target always has requests waiting for its
        // throttle while others render: memory is bounded by `photoSlots`, not by this.
        let width = cores * 2 + 4 * (targets.map(\.capabilities.concurrency).max() ?? 1)
        try await forEachPerson(in: store.people(of: source), width: width, stop: options.stop, include: { account in
            guard options.includes(account.keys, id: account.id) else { return false }
            onlyFound.formUnion(options.matches(account.keys, id: account.id))
            return true
        }, onPage: { page, included in
            for problem in page.problems where options.only.isEmpty || options.only.contains(problem.subject.lowercased()) {
                let item = ReportedProblem(person: problem.subject, system: source.name, message: problem.message)
                if problem.severity == .warning {
                    report.warnings.append(item)
                } else {
                    report.errors.append(item)
                    for target in targets { report.targets[target.name]?.failed += 1 }
                }
            }
            report.people += included
            progress(.listed(total: report.people))
        }, work: { account in
            await job.run(account)
        }, collect: { result in
            report.record(result)
            progress(.finished(result))
        })

        for missing in options.only.subtracting(onlyFound).sorted() where !options.stop.requested {
            report.errors.append(ReportedProblem(person: missing, system: source.name,
                                                 message: "--only \(missing): nobody in \(source.name) has that mail, UPN or employee id"))
        }
        // A first push into a target whose listing shows no photos cannot tell, without a request
        // per person (twice a push's work), whether people already had one: it says so.
        for index in indexes where index.written.isEmpty && index.pending.isEmpty && !options.dryRun
            && !index.target.capabilities.listsPhotoVersions && (report.targets[index.target.name]?.uploaded ?? 0) > 0 {
            report.warnings.append(ReportedProblem(person: "", system: index.target.name, message: "Portrait had not written to \(index.target.name) before, so it did not ask whether people already had a photo there (a request per person); any it found were replaced — a dry run before a first push counts them"))
        }
        report.interrupted = options.stop.requested
        report.errors.sort { ($0.person, $0.system) < ($1.person, $1.system) }
        report.seconds = Date().timeIntervalSince(started)
        if let runId {
            try await store.finishRun(runId, outcome: report.outcome, summary: report.summaryLine)
            RunMetrics.finished("push", outcome: report.outcome)
        }
        return report
    }
}

/// A target's people by each key it is matched on, and what Portrait last wrote there.
struct TargetIndex: Sendable {
    let target: any PhotoWriting
    let accounts: [MatchKey: [String: [Account]]]
    let written: [String: WrittenState]
    /// Writes an interrupted run sent but did not record.
    let pending: [String: WrittenState]
    /// The profiles as the store records them; a change means every photo is rendered again.
    let profileText: String
    /// Set once the target stops answering: its remaining people fail at once.
    let outage = Outage()

    init(target: any PhotoWriting, listing: AsyncThrowingStream<PeoplePage, any Error>, written: [String: WrittenState],
         pending: [String: WrittenState]) async throws {
        var accounts: [Account] = []
        for try await page in listing { accounts += page.accounts }
        self.init(target: target, accounts: accounts, written: written, pending: pending)
    }

    init(target: any PhotoWriting, accounts listed: [Account], written: [String: WrittenState], pending: [String: WrittenState]) {
        self.target = target
        self.written = written
        self.pending = pending
        let keys = Set(target.capabilities.matching.map(\.target))
        var accounts: [MatchKey: [String: [Account]]] = [:]
        for account in listed {
            for key in keys {
                guard let value = account.keys[key] else { continue }
                accounts[key, default: [:]][value, default: []].append(account)
            }
        }
        self.accounts = accounts
        profileText = target.capabilities.renditions.map(\.description).joined(separator: "; ")
    }

    /// The person's account here, or why there is none. Every matching rule is tried: two rules
    /// finding two different accounts is an error naming both, never a guess.
    func account(for keys: MatchKeys) -> Result<Account, SystemError> {
        let rules = target.capabilities.matching
        var found: [(Account, MatchRule)] = []
        for rule in rules {
            guard let value = keys[rule.source] else { continue }
            let matches = accounts[rule.target]?[value] ?? []
            if matches.count > 1 {
                return .failure(SystemError(.notFound, "\(matches.count) accounts in \(target.name) have \(rule.target.rawValue) \(value) (\(matches.map(\.id).joined(separator: ", "))); make it unique there"))
            }
            if let match = matches.first, !found.contains(where: { $0.0.id == match.id }) {
                found.append((match, rule))
            }
        }
        if found.count > 1 {
            let named = found.map { "\($0.0.keys.userPrincipalName ?? $0.0.label) (id \($0.0.id), by \($0.1))" }.joined(separator: " and ")
            return .failure(SystemError(.notFound, "matches two accounts in \(target.name): \(named); set `match` for \(target.name) to the key that decides"))
        }
        if let (account, _) = found.first { return .success(account) }
        if let created = target.newAccount(for: keys) { return .success(created) }
        let sourceKeys = rules.map(\.source).reduce(into: [MatchKey]()) { if !$0.contains($1) { $0.append($1) } }
        let values = sourceKeys.compactMap { key in keys[key].map { "\(key.rawValue) \($0)" } }
        guard !values.isEmpty else {
            return .failure(SystemError(.notFound, "has no \(sourceKeys.map(\.rawValue).joined(separator: " or ")) in the source, which \(target.name) finds people by; add it there"))
        }
        let targetKeys = rules.map(\.target.rawValue).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        return .failure(SystemError(.notFound, "nobody in \(target.name) matches \(values.joined(separator: ", ")) (compared with \(targetKeys.joined(separator: ", ")))"))
    }
}

/// Why a system stopped answering during a run, once it has.
final class Outage: Sendable {
    private let reason = Mutex<String?>(nil)

    var current: String? { reason.withLock { $0 } }

    /// Records the first reason; returns the one on record.
    func record(_ message: String) -> String {
        reason.withLock { reason in
            if reason == nil { reason = message }
            return reason!
        }
    }
}
