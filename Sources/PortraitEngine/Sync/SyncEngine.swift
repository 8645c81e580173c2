import Foundation
import PortraitCore
import PortraitImaging
import PortraitStore

/// Keeps one approved photo per person right in every system, run after run.
///
/// Lists every system (each with its cheapest change signal), joins the accounts into people,
/// reads photo bytes only for versions it has not seen, decides per person with
/// `SyncPolicy.decide` (pure), then acts: queue, approve, and write the approved photo's
/// renditions to each target through the same `TargetWriter` as push, every target of a person
/// at once. Like push, the engine knows systems only through the protocols.
public struct SyncEngine: Sendable {
    public struct Options: Sendable {
        public var dryRun: Bool
        /// Only these people (a mail, UPN, employee id or logon name each, any case); all when empty.
        public var people: Set<String>
        public var stop: StopSignal

        public init(dryRun: Bool = false, people: Set<String> = [], stop: StopSignal = StopSignal()) {
            self.dryRun = dryRun
            self.people = Set(people.map { $0.lowercased() })
            self.stop = stop
        }

        func includes(_ keys: MatchKeys) -> Bool {
            people.isEmpty || !people.isDisjoint(with: keys.names)
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

    /// - Parameter systems: every system the policy names, by name; targets must be `PhotoWriting`.
    public func sync(
        systems: [String: any PhotoSystem],
        policy: SyncPolicy,
        options: Options,
        progress: @escaping @Sendable (RunProgress) -> Void = { _ in }
    ) async throws -> SyncReport {
        let started = Date()
        var report = SyncReport(dryRun: options.dryRun, targets: policy.targets)

        // Every system answers, or the run stops; one that cannot be reached is left out.
        var listings: [(system: String, accounts: [Account])] = []
        for name in policy.systems {
            guard let system = systems[name] else { continue }
            do {
                try await system.check()
                var accounts: [Account] = []
                for try await page in store.people(of: system) {
                    accounts += page.accounts
                    for problem in page.problems {
                        let item = ReportedProblem(person: problem.subject, system: name, message: problem.message)
                        if problem.severity == .warning || !policy.sources.contains(name) { report.warnings.append(item) } else { report.errors.append(item) }
                    }
                }
                listings.append((name, accounts))
            } catch let error as SystemError where error.kind == .unreachable {
                report.unreachable[name] = error.message
            }
        }
        let runId = options.dryRun ? nil : try await store.beginRun(
            command: "sync", source: policy.sources.joined(separator: ","), targets: policy.targets, dryRun: false)
        report.runId = runId

        let stored = try await store.joinState()
        let join = PeopleJoin(listings: listings, sources: Set(policy.sources), links: stored.links, stored: stored.people, order: policy.join)
        for ambiguity in join.ambiguities {
            report.errors.append(ReportedProblem(person: ambiguity.account, system: ambiguity.system, message: ambiguity.message))
        }
        let people = try await saved(join, stored: stored.people)

        var targets: [String: TargetIndex] = [:]
        for (name, accounts) in listings where policy.targets.contains(name) {
            guard let target = systems[name] as? any PhotoWriting else { continue }
            targets[name] = TargetIndex(
                target: target, accounts: accounts,
                written: try await store.writtenStates(system: name, location: target.location),
                pending: try await store.pendingWrites(system: name, location: target.location))
        }
        var sources: [String: SourceState] = [:]
        for (name, _) in listings where policy.sources.contains(name) {
            guard let system = systems[name] else { continue }
            let seen = try await store.seenVersions(system: name, location: system.location)
            sources[name] = SourceState(system: system, seen: seen, firstRead: !(try await store.hasFinishedSync(reading: name)))
        }
        // A source that could not be reached shows nothing certain: its people are left as they are.
        let unreachableSources = Set(policy.sources).intersection(report.unreachable.keys)

        let job = SyncJob(
            store: store, imaging: imaging, policy: policy, runId: runId, dryRun: options.dryRun,
            writer: TargetWriter(store: store, imaging: imaging, dryRun: options.dryRun, force: false, runId: runId),
            sources: sources, targets: targets, unreachableSources: unreachableSources,
            photos: try await store.personPhotos())
        let chosen = people.filter { options.includes($0.person.keys) }
        report.people = chosen.count
        let named = chosen.reduce(into: Set<String>()) { $0.formUnion($1.person.keys.names) }
        for missing in options.people.subtracting(named).sorted() {
            report.errors.append(ReportedProblem(person: missing, system: "",
                                                 message: "--person \(missing): nobody in \(policy.systems.joined(separator: ", ")) has that mail, UPN, employee id or logon name"))
        }
        progress(.listed(total: chosen.count))
        let width = cores * 2 + 4 * (targets.values.map(\.target.capabilities.concurrency).max() ?? 1)
        try await withThrowingTaskGroup(of: SyncPersonResult.self) { group in
            var inFlight = 0
            for (person, id) in chosen {
                if inFlight >= width, let result = try await group.next() {
                    report.record(result)
                    progress(.finished(result.result))
                    inFlight -= 1
                }
                if options.stop.requested { break }
                group.addTask { await job.run(person, id: id) }
                inFlight += 1
            }
            for try await result in group {
                report.record(result)
                progress(.finished(result.result))
            }
        }

        report.waiting = try await store.waitingCount()
        report.interrupted = options.stop.requested
        report.errors.sort { ($0.person, $0.system) < ($1.person, $1.system) }
        report.changes.sort { ($0.person, $0.action.rawValue) < ($1.person, $1.action.rawValue) }
        report.seconds = Date().timeIntervalSince(started)
        if let runId {
            try await store.finishRun(runId, outcome: report.outcome, summary: report.summaryLine)
            RunMetrics.finished("sync", outcome: report.outcome)
        }
        return report
    }

    /// Saves the join's new people, links and changed keys; each person with their id.
    private func saved(_ join: PeopleJoin, stored: [Int64: MatchKeys]) async throws -> [(person: PeopleJoin.Person, id: Int64)] {
        var links: [PeopleJoin.PersonRef: [(system: String, account: Account)]] = [:]
        for link in join.newLinks { links[link.person, default: []].append((link.system, link.account)) }
        var changed: [PeopleJoin.Person] = []
        var ids: [PeopleJoin.PersonRef: Int64] = [:]
        for person in join.people {
            if case .stored(let id) = person.ref {
                ids[person.ref] = id
                if stored[id] == person.keys, links[person.ref] == nil { continue }
            }
            changed.append(person)
        }
        let saved = try await store.saveJoin(changed.map { person in
            let id: Int64? = if case .stored(let id) = person.ref { id } else { nil }
            return JoinedPerson(id: id, keys: person.keys, newLinks: links[person.ref] ?? [])
        })
        for (person, id) in zip(changed, saved) { ids[person.ref] = id }
        return join.people.compactMap { person in ids[person.ref].map { (person, $0) } }
    }
}

/// A source as a sync sees it: the system and the versions it showed before.
struct SourceState: Sendable {
    let system: any PhotoSystem
    let seen: [String: SeenVersion]
    /// No sync has read it to the end: the photos it shows were there before Portrait.
    let firstRead: Bool
}
