import Foundation
import PortraitCore
import PortraitImaging
import PortraitStore

/// One person's sync: gather what every system shows, decide, act.
struct SyncJob: Sendable {
    let store: Store
    let imaging: Imaging
    let policy: SyncPolicy
    let runId: Int64?
    let dryRun: Bool
    let writer: TargetWriter
    let sources: [String: SourceState]
    let targets: [String: TargetIndex]
    let unreachableSources: Set<String>
    /// Every person's photos as the run began.
    let photos: [Int64: [PersonPhoto]]

    func run(_ person: PeopleJoin.Person, id: Int64) async -> SyncPersonResult {
        let label = person.keys.label ?? person.accounts.values.first?.label ?? "person \(id)"
        var result = SyncPersonResult(result: PersonResult(person: label))
        let photos = photos[id] ?? []
        let approved = photos.first { $0.status == .approved }
        var situation = PersonSituation(approved: approved?.sha256, approvedSource: approved?.source)
        for photo in photos {
            switch photo.status {
            case .approved, .superseded: situation.verdicts[photo.sha256] = .approved
            case .waiting: situation.verdicts[photo.sha256] = .waiting
            case .rejected: situation.verdicts[photo.sha256] = .rejected
            case .withdrawn: break
            }
        }

        // Targets first: a source that is also a target showing Portrait's write is an echo.
        var items: [String: TargetItem] = [:]
        for name in policy.targets {
            // Where writing creates the person (a folder), they need no account yet.
            guard let index = targets[name],
                  let account = person.accounts[name] ?? index.target.newAccount(for: person.keys) else { continue }
            if let reason = index.outage.current {
                situation.targets[name] = .unknown
                result.result.outcomes.append(writer.unreachable(label, name, reason))
                continue
            }
            do {
                let item = try await writer.item(account, in: index, person: person.keys, personId: id)
                items[name] = item
                situation.targets[name] = Self.shows(item)
            } catch {
                situation.targets[name] = .unknown
                result.result.outcomes.append(writer.failure(label, index, error))
            }
        }
        // A source that could not be reached may hold the winning photo.
        for name in unreachableSources { situation.sources[name] = .unknown }
        // The version each source showed, when read: a photo adopted there is recorded at it.
        var versions: [String: String] = [:]
        // Targets that show a copy of the approved photo Portrait did not write (an echo someone
        // put there): it stands, recorded so later runs need not compare it again.
        var echoes: [String] = []
        for name in policy.sources {
            guard let source = sources[name], let account = person.accounts[name] else { continue }
            do {
                let (shows, version) = try await view(account, in: source, item: items[name], approved: approved, photos: photos, person: id)
                situation.sources[name] = shows
                versions[name] = version
                if shows == .echo, let approved, situation.targets[name] == .other {
                    situation.targets[name] = .ours(photo: approved.sha256, current: true)
                    echoes.append(name)
                }
                // A target showing its own new photo is not someone else's change there.
                if case .photo = shows, situation.targets[name] == .nothing(wasOurs: false) { situation.targets[name] = .other }
            } catch let error as ImageError {
                situation.sources[name] = .unreadable
                result.errors.append(ReportedProblem(person: label, system: name, message: "\(error)"))
            } catch {
                situation.sources[name] = .unknown
                result.errors.append(ReportedProblem(person: label, system: name, message: "\(error)"))
            }
        }

        let pushed = Self.namePushedWrites(in: &situation, versions: versions)
        if let guidelines = policy.guidelines { await measureNewPhotos(against: guidelines, in: &situation, label: label) }
        let plan = policy.decide(situation)
        func foundAtStart(_ photo: String?, in source: String?) -> Bool {
            guard let source, policy.approval.contains(source), case .photo(let candidate)? = situation.sources[source] else { return false }
            return candidate.photo == photo && candidate.foundAtStart
        }
        if foundAtStart(plan.approve?.photo, in: plan.approve?.source), let source = plan.approve?.source {
            result.foundAtStart = (source, true)
        } else if policy.existing == .queue, foundAtStart(plan.queue?.photo, in: plan.queue?.source), let source = plan.queue?.source {
            result.foundAtStart = (source, false)
        }
        // A photo already waiting is not news: the queue says it waits.
        let alreadyWaiting = photos.contains { $0.sha256 == plan.queue?.photo && $0.status == .waiting }
        result.changes = plan.changes.filter { !(alreadyWaiting && $0.action == .queue) }
            .map { .init(person: label, action: $0.action, from: $0.from, to: $0.to, reason: $0.reason) }
        // A photo to publish where the person has no account: said per target, and an error
        // when no target knows them (a CSV row naming nobody).
        let missing = policy.targets.filter { targets[$0] != nil && situation.targets[$0] == nil }
        if plan.approve != nil || approved != nil, !missing.isEmpty {
            result.result.outcomes += missing.map { ItemOutcome(person: label, system: $0, action: .skipped, message: "no account in \($0)") }
            if situation.targets.isEmpty {
                result.errors.append(ReportedProblem(person: label, system: missing.joined(separator: ", "),
                                                              message: "nobody in \(missing.joined(separator: ", ")) matches this person; check the spelling of their mail, UPN or employee id, or their account there"))
            }
        }
        for (name, shows) in situation.targets where !plan.writes.contains(name) && !plan.deletes.contains(name) {
            if case .ours = shows { result.result.outcomes.append(ItemOutcome(person: label, system: name, action: .unchanged)) }
        }
        guard !dryRun else {
            result.queued = plan.queue != nil && !alreadyWaiting
            result.result.outcomes += plan.writes.map { ItemOutcome(person: label, system: $0, action: .uploaded) }
            result.result.outcomes += plan.deletes.map { ItemOutcome(person: label, system: $0, action: .deleted) }
            return result
        }
        do {
            try await record(plan, situation: situation, items: items, photos: photos, person: person, id: id, label: label, result: &result)
        } catch {
            result.errors.append(ReportedProblem(person: label, system: "", message: "\(error)"))
            return result
        }
        // Named by its photo from now on, so a later change at the source does not hide whose write it is.
        for (name, photo) in pushed where !plan.writes.contains(name) && !plan.deletes.contains(name) {
            guard let item = items[name] else { continue }
            do {
                try await store.recordSourceVersion(system: name, location: item.index.target.location, accountId: item.account.id, sourceVersion: photo)
            } catch {
                result.errors.append(ReportedProblem(person: label, system: name, message: "\(error)"))
            }
        }
        let shown = plan.approve?.photo ?? approved?.sha256
        if !plan.writes.isEmpty, let shown {
            await write(shown, to: plan, items: items, person: person, id: id, label: label, result: &result)
        }
        for name in plan.adopt + echoes.filter({ !plan.writes.contains($0) }) {
            guard let item = items[name] else { continue }
            await adopt(shown ?? "", in: item, version: versions[name], person: person, id: id, label: label, result: &result)
        }
        if !plan.deletes.isEmpty {
            await delete(plan, items: items, person: person, id: id, label: label, result: &result)
        }
        return result
    }

    // MARK: - Gathering

    /// How a target's standing reads to the decision.
    private static func shows(_ item: TargetItem) -> PersonSituation.TargetShows {
        switch item.standing {
        // Whether a photo is there is asked only by a dry run (`TargetWriter.item`): the plan
        // reads the same either way — a first write there.
        case .new: .nothing(wasOurs: false)
        case .ours: .ours(photo: item.written?.sourceVersion ?? "", current: item.lastWriteStands)
        case .changed: .other
        case .deleted: .nothing(wasOurs: true)
        }
    }

    /// A push records the source's version of the photo it wrote; sync names photos by their
    /// master. Where a source shows that version now, the push wrote that source's photo.
    /// Returns the targets so named, with their photo.
    private static func namePushedWrites(in situation: inout PersonSituation, versions: [String: String]) -> [String: String] {
        var named: [String: String] = [:]
        for (name, shows) in situation.targets {
            guard case .ours(let written, let current) = shows, situation.verdicts[written] == nil,
                  let source = versions.first(where: { $0.value == written })?.key,
                  case .photo(let candidate)? = situation.sources[source] else { continue }
            situation.targets[name] = .ours(photo: candidate.photo, current: current)
            named[name] = candidate.photo
        }
        return named
    }

    /// What a source shows for the person, reading the photo only when its version is new.
    private func view(_ account: Account, in source: SourceState, item: TargetItem?, approved: PersonPhoto?,
                      photos: [PersonPhoto], person: Int64) async throws -> (PersonSituation.SourceShows, String?) {
        let system = source.system
        // Portrait's write there is not a photo of the person's own. Where the approved photo was
        // made it still stands for that source (a revert or a re-render wrote over it, or it was
        // adopted as made there); anywhere else the write is an echo.
        if let item, item.written != nil, case .ours = item.standing {
            guard let approved, approved.source == system.name else { return (.echo, item.remoteVersion) }
            return (.photo(try await candidate(approved.sha256, firstSeen: approved.firstSeen)), item.remoteVersion)
        }
        let version: String?
        switch account.photo {
        case .absent: return (.nothing, nil)
        case .present(let known): version = known
        case .unknown:
            if let known = item?.remoteVersion {
                version = known
            } else if let reader = system as? any PhotoVersionReading {
                guard let asked = try await reader.photoVersion(of: account) else { return (.nothing, nil) }
                version = asked
            } else {
                version = nil
            }
        }
        let sha: String
        var firstSeen = Date()
        if let version, let seen = source.seen[account.id], seen.version == version {
            guard let photo = seen.photo else { return (.nothing, version) }
            sha = photo
            firstSeen = seen.seenAt
        } else {
            guard let photo = try await imaging.photoSlots.withPermit({ () async throws -> Master? in
                let read = if let photo = item?.photo, item?.remoteVersion == version { photo } else { try await system.readPhoto(of: account) }
                guard let photo = read else { return nil }
                return try await imaging.master(of: photo)
            }) else {
                if let version {
                    try await store.recordSeen(system: system.name, location: system.location, accountId: account.id, version: version, photo: nil)
                }
                return (.nothing, version)
            }
            sha = try await identify(photo, among: photos)
            if let version {
                try await store.recordSeen(system: system.name, location: system.location, accountId: account.id, version: version, photo: sha)
            }
            if let seen = source.seen[account.id], seen.photo == sha { firstSeen = seen.seenAt }
        }
        if sha == approved?.sha256 && approved?.source != system.name { return (.echo, version) }
        var found = try await candidate(sha, firstSeen: firstSeen)
        found.foundAtStart = source.firstRead
        return (.photo(found), version)
    }

    /// Notes what each photo not yet decided on lacks against the guidelines, measured on its
    /// master. One that cannot be measured waits too: the organisation asked for photos to be checked.
    private func measureNewPhotos(against guidelines: Guidelines, in situation: inout PersonSituation, label: String) async {
        for (name, shows) in situation.sources {
            guard case .photo(var candidate) = shows, candidate.photo != situation.approved,
                  situation.verdicts[candidate.photo] ?? .waiting == .waiting else { continue }
            do {
                let photo = Photo(bytes: try store.photos.get(candidate.photo), version: candidate.photo, origin: "\(label)'s photo in \(name)")
                let measures = try await imaging.photoSlots.withPermit { try await imaging.measures(of: photo) }
                candidate.shortfalls = guidelines.reasons(for: measures)
            } catch {
                candidate.shortfalls = ["could not be checked (\(error))"]
            }
            situation.sources[name] = .photo(candidate)
        }
    }

    private func candidate(_ sha: String, firstSeen: Date) async throws -> PersonSituation.Candidate {
        guard let stored = try await store.photo(sha) else {
            throw SystemError(.failed, "the store has no record of photo \(sha.prefix(12))…; run sync again")
        }
        return .init(photo: sha, firstSeen: firstSeen, width: stored.width, height: stored.height)
    }

    /// The person's known photo this master is a copy of (a service resized, re-encoded or
    /// square-cropped it), or the master kept as a new photo.
    private func identify(_ master: Master, among photos: [PersonPhoto]) async throws -> String {
        let sha = PhotoLibrary.sha256(master.jpeg)
        if photos.contains(where: { $0.sha256 == sha }) { return sha }
        // The approved photo first, then the others, newest first.
        let known = photos.sorted { ($0.status == .approved ? 1 : 0, $0.firstSeen) > ($1.status == .approved ? 1 : 0, $1.firstSeen) }
        for photo in known {
            guard let stored = try await store.photo(photo.sha256) else { continue }
            let kept = try await fingerprint(of: stored)
            if master.readings.contains(where: { $0.isCopy(of: kept) }) { return photo.sha256 }
        }
        return try await store.savePhoto(master.jpeg, width: master.width, height: master.height,
                                         fingerprint: master.fingerprint.description).sha256
    }

    /// A kept photo's fingerprint; one kept before fingerprints were what they are now (store v6)
    /// is taken again from its master, once.
    private func fingerprint(of stored: StoredPhoto) async throws -> Fingerprint {
        if let fingerprint = Fingerprint(text: stored.fingerprint) { return fingerprint }
        let master = Photo(bytes: try store.photos.get(stored.sha256), version: stored.sha256, origin: "kept photo \(stored.sha256.prefix(12))")
        let fingerprint = try await imaging.master(of: master).fingerprint
        if !dryRun { try await store.updateFingerprint(of: stored.sha256, to: fingerprint.description) }
        return fingerprint
    }

    // MARK: - Acting

    /// The plan's queue and approval, and a waiting photo its source no longer shows.
    private func record(_ plan: SyncPlan, situation: PersonSituation, items: [String: TargetItem], photos: [PersonPhoto],
                        person: PeopleJoin.Person, id: Int64, label: String, result: inout SyncPersonResult) async throws {
        func event(_ system: String, _ detail: String?) -> PhotoEvent {
            PhotoEvent(personId: id, system: system, accountId: person.accounts[system]?.id ?? "", personLabel: label, runId: runId, detail: detail)
        }
        let waiting = photos.first { $0.status == .waiting }
        if let queue = plan.queue, waiting?.sha256 != queue.photo {
            let firstSeen: Date = if case .photo(let candidate)? = situation.sources[queue.source] { candidate.firstSeen } else { Date() }
            try await store.queue(queue.photo, source: queue.source, firstSeen: firstSeen, reason: queue.reason, event: event(queue.source, queue.reason))
            result.queued = true
        }
        // A waiting photo is withdrawn once its source shows no photo or another of the person's
        // own; Portrait's revert written over it there is no reason — also where the approved
        // photo was made, which the source then shows as its own.
        let revertedThere = waiting.flatMap { items[$0.source] }.map { item in
            if item.written != nil, case .ours = item.standing { true } else { false }
        } ?? false
        let replacedAtSource: Bool = switch waiting.flatMap({ situation.sources[$0.source] }) {
        case _ where revertedThere: false
        case .nothing?, nil: true
        case .photo(let candidate)?: candidate.photo != waiting?.sha256
        case .echo?, .unknown?, .unreadable?: false
        }
        if let waiting, waiting.sha256 != plan.queue?.photo, waiting.sha256 != plan.approve?.photo, replacedAtSource {
            try await store.closeWaiting(waiting.sha256, as: .withdrawn, by: nil, reason: nil,
                                         event: event(waiting.source, "no longer shown in \(waiting.source)"))
        }
        if let approve = plan.approve {
            let firstSeen: Date = if case .photo(let candidate)? = situation.sources[approve.source] { candidate.firstSeen } else { Date() }
            let approvedBefore = situation.verdicts[approve.photo] == .approved
            let foundAtStart: Bool = if case .photo(let candidate)? = situation.sources[approve.source] { candidate.foundAtStart } else { false }
            let reason = approvedBefore ? "approved before"
                : foundAtStart && policy.existing == .approve && policy.approval.contains(approve.source) ? "in \(approve.source) before the first sync (existing = \"approve\")"
                : policy.approval.contains(approve.source) ? "approved" : "policy: from \(approve.source)"
            // A person's approval is recorded by `approve` itself; here the policy approves.
            try await store.approve(approve.photo, source: approve.source, firstSeen: firstSeen, by: "sync", reason: reason, event: event(approve.source, reason), action: .published)
        }
    }

    /// Renders the photo once for every target to write and writes them all at once.
    private func write(_ sha: String, to plan: SyncPlan, items: [String: TargetItem], person: PeopleJoin.Person, id: Int64,
                       label: String, result: inout SyncPersonResult) async {
        let writing = plan.writes.compactMap { items[$0] }
        var seen: Set<RenditionProfile> = []
        let profiles = writing.flatMap(\.index.target.capabilities.renditions).filter { seen.insert($0).inserted }
        let rendered: RenderedPhoto
        do {
            let master = try store.photos.get(sha)
            rendered = try await imaging.photoSlots.withPermit {
                try await imaging.render(Photo(bytes: master, version: sha, origin: "the approved photo of \(label)"), profiles: profiles)
            }
        } catch {
            result.result.outcomes += writing.map { ItemOutcome(person: label, system: $0.name, action: .failed, message: "\(error)") }
            return
        }
        let origin = WriteOrigin(person: label, keys: person.keys, personId: id, version: sha)
        let reasons = Dictionary(plan.changes.flatMap { change in change.to.map { ($0, "\(change.action.rawValue): \(change.reason)") } },
                                 uniquingKeysWith: { first, _ in first })
        let outcomes = await withTaskGroup(of: ItemOutcome.self) { group in
            for item in writing {
                group.addTask { await writer.write(rendered, item, origin: origin, detail: reasons[item.name]) }
            }
            return await group.reduce(into: [ItemOutcome]()) { $0.append($1) }
        }
        for outcome in outcomes {
            result.result.outcomes.append(outcome)
            // A source that is also a target: its new version is Portrait's write, not a change.
            if outcome.action == .uploaded, let version = outcome.version, let source = sources[outcome.system],
               let account = person.accounts[outcome.system] {
                try? await store.recordSeen(system: outcome.system, location: source.system.location, accountId: account.id,
                                            version: version, photo: sha)
            }
        }
    }

    /// Records that a target already shows the newly approved photo, where it was made: nothing written.
    private func adopt(_ sha: String, in item: TargetItem, version seen: String?, person: PeopleJoin.Person, id: Int64, label: String,
                       result: inout SyncPersonResult) async {
        do {
            guard let stored = try await store.photo(sha) else { return }
            let version = if let seen { seen } else { try await writer.remoteVersion(of: item.account, in: item.index.target) }
            try await store.recordWrite(PhotoWrite(
                system: item.name, location: item.index.target.location, account: item.account, person: person.keys, personId: id,
                state: WrittenState(renditionSHA256: "as-made:\(sha)", fingerprint: try await fingerprint(of: stored).description,
                                    profile: item.index.profileText,
                                    sourceVersion: sha, remoteVersion: version, writtenAt: Date()),
                audit: .init(runId: runId, action: .published, hashBefore: nil, hashAfter: sha,
                             detail: "the approved photo is the one made in \(item.name): nothing written")))
            result.result.outcomes.append(ItemOutcome(person: label, system: item.name, action: .unchanged))
        } catch {
            result.result.outcomes.append(writer.failure(label, item.index, error))
        }
    }

    /// Removes the photo from the plan's targets, then withdraws the approved photo.
    private func delete(_ plan: SyncPlan, items: [String: TargetItem], person: PeopleJoin.Person, id: Int64,
                        label: String, result: inout SyncPersonResult) async {
        let reason = plan.changes.first { $0.action == .delete }?.reason
        var failed = false
        for name in plan.deletes {
            guard let item = items[name] else { continue }
            do {
                try await item.index.target.deletePhoto(of: item.account)
                try await store.recordDeletion(system: name, location: item.index.target.location, accountId: item.account.id,
                                               event: PhotoEvent(personId: id, system: name, accountId: item.account.id, personLabel: label,
                                                                 runId: runId, detail: reason),
                                               before: item.written?.renditionSHA256)
                result.result.outcomes.append(ItemOutcome(person: label, system: name, action: .deleted, message: reason))
            } catch {
                failed = true
                result.result.outcomes.append(writer.failure(label, item.index, error))
            }
        }
        guard !failed else { return }
        let origin = plan.changes.first { $0.action == .delete }?.from ?? ""
        try? await store.withdrawApproved(event: PhotoEvent(personId: id, system: origin, accountId: person.accounts[origin]?.id ?? "",
                                                            personLabel: label, runId: runId, detail: reason))
    }
}
