import Foundation
import PortraitCore
import PortraitImaging
import PortraitStore

/// One person's push to every target.
struct PersonJob: Sendable {
    let engine: PushEngine
    let source: any PhotoSystem
    let indexes: [TargetIndex]
    let options: PushEngine.Options
    let runId: Int64

    /// How the person's photo in a target stands against Portrait's last write there.
    enum Standing: Sendable {
        /// Portrait never wrote there; `existing` when the person is known to have a photo there.
        case new(existing: Bool)
        /// What Portrait last wrote is there (or the target cannot tell).
        case ours
        /// Someone changed it since: from one version to another.
        case changed(from: String?, to: String?)
        /// Someone deleted it since.
        case deleted
    }

    /// A target this person is to be written to, with what is known before reading the photo.
    private struct Pending: Sendable {
        let index: TargetIndex
        let account: Account
        let written: WrittenState?
        let standing: Standing

        var name: String { index.target.name }

        /// Whether what was last written still stands, made from the same profiles.
        var lastWriteStands: Bool {
            guard let written, case .ours = standing else { return false }
            return written.profile == index.profileText
        }
    }

    func run(_ account: Account) async -> PersonResult {
        let person = account.label
        var result = PersonResult(person: person)
        var pending: [Pending] = []
        for index in indexes {
            if let reason = index.outage.current {
                result.outcomes.append(unreachable(person, index.target.name, reason))
                continue
            }
            switch index.account(for: account.keys) {
            case .failure(let error):
                result.outcomes.append(ItemOutcome(person: person, system: index.target.name, action: .failed, message: error.message))
            case .success(let targetAccount):
                do {
                    pending.append(try await self.pending(targetAccount, in: index, person: account.keys))
                } catch {
                    result.outcomes.append(failure(person, index, error))
                }
            }
        }

        // Same source version, same profiles, untouched since: nothing to read or render.
        if !options.force, let sourceVersion = account.photo.version {
            pending.removeAll { item in
                guard item.lastWriteStands, item.written?.sourceVersion == sourceVersion else { return false }
                result.outcomes.append(ItemOutcome(person: person, system: item.name, action: .unchanged))
                return true
            }
        }
        guard !pending.isEmpty else { return result }
        guard !options.stop.requested else {
            result.complete = false
            return result
        }

        let rendered: RenderedPhoto
        let wanted = profiles(for: pending)
        do {
            guard let photo = try await engine.photoSlots.withPermit({ () async throws -> RenderedPhoto? in
                guard let photo = try await source.readPhoto(of: account) else { return nil }
                return try await engine.render(photo, profiles: wanted)
            }) else {
                result.outcomes += pending.map {
                    ItemOutcome(person: person, system: $0.name, action: .skipped, message: "no photo in \(source.name)")
                }
                return result
            }
            rendered = photo
        } catch {
            let sourceDown = (error as? SystemError)?.kind == .unreachable
            result.outcomes += pending.map {
                ItemOutcome(person: person, system: $0.name, action: .failed, message: "\(error)", failure: sourceDown ? .unreachable : .source)
            }
            return result
        }
        if let warning = smallerThanWanted(rendered, pending, person: person) { result.warnings.append(warning) }

        for item in pending {
            guard !options.stop.requested else {
                result.complete = false
                break
            }
            result.outcomes.append(await write(rendered, item, source: account))
        }
        return result
    }

    /// What is known of the person's photo in a target before reading the source photo.
    private func pending(_ targetAccount: Account, in index: TargetIndex, person: MatchKeys) async throws -> Pending {
        let target = index.target
        if let unrecorded = index.pending[targetAccount.id],
           try await isWrittenImage(targetAccount, in: target, fingerprint: unrecorded.fingerprint) {
            // A run stopped between the service's answer and its record: the write is done.
            var state = unrecorded
            state.remoteVersion = try await remoteVersion(of: targetAccount, in: target)
            if !options.dryRun {
                try await engine.store.recordWrite(PhotoWrite(
                    system: target.name, location: target.location, account: targetAccount, person: person, state: state,
                    audit: .init(runId: runId, action: index.written[targetAccount.id] == nil ? .uploaded : .updated,
                                 hashBefore: index.written[targetAccount.id]?.renditionSHA256, hashAfter: state.renditionSHA256,
                                 detail: "written by an interrupted run, found in \(target.name) and recorded")))
            }
            return Pending(index: index, account: targetAccount, written: state, standing: .ours)
        }
        guard let written = index.written[targetAccount.id] else {
            // One request per photo: the version of someone Portrait never wrote is asked only by
            // a dry run, to say how many photos a first push would replace.
            let existing: Bool = switch targetAccount.photo {
            case .present: true
            case .absent: false
            case .unknown: options.dryRun ? try await remoteVersion(of: targetAccount, in: target) != nil : false
            }
            return Pending(index: index, account: targetAccount, written: nil, standing: .new(existing: existing))
        }
        guard target.capabilities.listsPhotoVersions || target is any PhotoVersionReading else {
            return Pending(index: index, account: targetAccount, written: written, standing: .ours)
        }
        let remote = try await remoteVersion(of: targetAccount, in: target)
        let standing: Standing
        switch (written.remoteVersion, remote) {
        case (_, nil):
            standing = .deleted
        case (let before, let now?) where before == now:
            standing = .ours
        case (let before, let now?):
            // A write whose version its reply did not tell, or a version that moves with any
            // change to the entry: the photo there now is ours if it is the image written (the
            // service re-encodes, so images are compared, not bytes).
            if before == nil || target.capabilities.versionsTrackEntry,
               try await isWrittenImage(targetAccount, in: target, fingerprint: written.fingerprint) {
                standing = .ours
                if !options.dryRun {
                    try await engine.store.recordRemoteVersion(system: target.name, location: target.location,
                                                               accountId: targetAccount.id, remoteVersion: now)
                }
            } else {
                standing = .changed(from: before, to: now)
            }
        }
        return Pending(index: index, account: targetAccount, written: written, standing: standing)
    }

    /// Whether the target's photo is the one Portrait wrote, as the service re-encoded it.
    private func isWrittenImage(_ account: Account, in target: any PhotoWriting, fingerprint: String?) async throws -> Bool {
        guard let text = fingerprint, let ours = Fingerprint(text: text),
              let photo = try await target.readPhoto(of: account) else { return false }
        do {
            return try await engine.fingerprint(of: photo).isCopy(of: ours)
        } catch is ImageError {
            return false
        }
    }

    private func write(_ rendered: RenderedPhoto, _ item: Pending, source account: Account) async -> ItemOutcome {
        let person = account.label
        let profiles = item.index.target.capabilities.renditions
        let renditions = profiles.map { profile in rendered.renditions.first { $0.profile == profile }! }
        let digest = renditions.map(\.sha256).joined(separator: "+")
        if !options.force, item.lastWriteStands, item.written?.renditionSHA256 == digest {
            if !options.dryRun, item.written?.sourceVersion != account.photo.version {
                try? await engine.store.recordSourceVersion(system: item.name, location: item.index.target.location,
                                                            accountId: item.account.id, sourceVersion: account.photo.version)
            }
            return ItemOutcome(person: person, system: item.name, action: .unchanged)
        }
        let (overwrote, detail) = describe(item)
        if options.dryRun {
            return ItemOutcome(person: person, system: item.name, action: .uploaded, message: detail, overwrote: overwrote)
        }
        do {
            let fingerprint = rendered.fingerprints[profiles.first?.crop ?? .centre] ?? rendered.fingerprints[.centre]
            var state = WrittenState(
                renditionSHA256: digest, fingerprint: fingerprint?.description, profile: item.index.profileText,
                sourceVersion: account.photo.version, remoteVersion: nil, writtenAt: Date())
            try await engine.store.recordPendingWrite(system: item.name, location: item.index.target.location,
                                                      accountId: item.account.id, state: state)
            // Recorded without a version when the write tells none: the next run confirms it.
            state.remoteVersion = try await item.index.target.writePhoto(renditions, for: item.account)
            let action: AuditEntry.Action = switch item.standing {
            case .new: .uploaded
            case .ours: .updated
            case .changed: .replaced
            case .deleted: .restored
            }
            try await engine.store.recordWrite(PhotoWrite(
                system: item.name, location: item.index.target.location, account: item.account, person: account.keys, state: state,
                audit: .init(runId: runId, action: action, hashBefore: item.written?.renditionSHA256, hashAfter: digest, detail: detail)))
            return ItemOutcome(person: person, system: item.name, action: .uploaded, message: detail, overwrote: overwrote)
        } catch {
            return failure(person, item.index, error)
        }
    }

    /// What a write over `item` overwrites, and how the report and audit log say it.
    private func describe(_ item: Pending) -> (ItemOutcome.Overwrote?, String?) {
        switch item.standing {
        case .new(existing: true):
            return (.existing, "replaced the photo \(item.name) already had")
        case .changed(let from, let to):
            return (.changed, "replaced a photo changed in \(item.name) since Portrait's last write (version \(from ?? "unconfirmed") → \(to ?? "none"))")
        case .deleted:
            return (.deleted, "restored a photo deleted in \(item.name) since Portrait's last write")
        case .new, .ours:
            return (nil, nil)
        }
    }

    /// The target's current photo version: from the listing, or asked for when the listing lacks it.
    private func remoteVersion(of account: Account, in target: any PhotoWriting) async throws -> String? {
        switch account.photo {
        case .present(let version): return version
        case .absent: return nil
        case .unknown:
            guard let reader = target as? any PhotoVersionReading else { return nil }
            return try await reader.photoVersion(of: account)
        }
    }

    /// Every profile the pending targets want, each once.
    private func profiles(for pending: [Pending]) -> [RenditionProfile] {
        var seen: Set<RenditionProfile> = []
        return pending.flatMap(\.index.target.capabilities.renditions).filter { seen.insert($0).inserted }
    }

    /// A source photo smaller than a target's side is written at its own size: say so, once.
    private func smallerThanWanted(_ rendered: RenderedPhoto, _ pending: [Pending], person: String) -> ReportedProblem? {
        let side = min(rendered.width, rendered.height)
        let short = pending.filter { item in item.index.target.capabilities.renditions.contains { !$0.upscale && $0.side > side } }
        guard let largest = short.flatMap(\.index.target.capabilities.renditions).map(\.side).max() else { return nil }
        let names = short.map(\.name).joined(separator: ", ")
        return ReportedProblem(person: person, system: source.name, message: "the photo is \(rendered.width)×\(rendered.height) px, smaller than the \(largest) px \(names) \(short.count == 1 ? "wants" : "want"): written at \(side) px; a larger original looks better (or set upscale = true)")
    }

    private func failure(_ person: String, _ index: TargetIndex, _ error: any Error) -> ItemOutcome {
        guard let error = error as? SystemError, error.kind == .unreachable else {
            return ItemOutcome(person: person, system: index.target.name, action: .failed, message: "\(error)")
        }
        return unreachable(person, index.target.name, index.outage.record(error.message))
    }

    private func unreachable(_ person: String, _ system: String, _ reason: String) -> ItemOutcome {
        ItemOutcome(person: person, system: system, action: .failed, message: reason, failure: .unreachable)
    }
}
