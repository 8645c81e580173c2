import Foundation
import PortraitCore
import PortraitImaging
import PortraitStore

/// How a person's photo in a target stands against Portrait's last write there.
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

/// A person's account in a target, with what is known before any photo is read.
struct TargetItem: Sendable {
    let index: TargetIndex
    let account: Account
    let written: WrittenState?
    let standing: Standing
    /// What this run read of the target's photo, so a source that is the same system does not
    /// ask again: its version, and its bytes when images were compared.
    var remoteVersion: String?
    var photo: Photo?

    var name: String { index.target.name }

    /// Whether what was last written still stands, made from the same profiles.
    var lastWriteStands: Bool {
        guard let written, case .ours = standing else { return false }
        return written.profile == index.profileText
    }
}

/// Who a write is for and what it is made from, as the store records it.
struct WriteOrigin: Sendable {
    var person: String
    var keys: MatchKeys
    /// The joined person (sync); push finds them by `keys`.
    var personId: Int64?
    /// The photo's version it is made from: a source version (push) or a master's SHA-256 (sync).
    var version: String?
}

/// The one path by which photos reach targets, for push and sync alike: how a target's photo
/// stands, then write, then record — a pending note before the write, the write and its audit
/// entry after, so a killed run never writes twice.
struct TargetWriter: Sendable {
    let store: Store
    let imaging: Imaging
    let dryRun: Bool
    /// Write even when nothing changed.
    let force: Bool
    let runId: Int64?

    /// What is known of the person's photo in a target before reading any source photo.
    func item(_ targetAccount: Account, in index: TargetIndex, person: MatchKeys, personId: Int64? = nil) async throws -> TargetItem {
        let target = index.target
        if let unrecorded = index.pending[targetAccount.id],
           let photo = try await target.readPhoto(of: targetAccount),
           case .ours(let copy) = try await OwnWrite.verdict(on: photo, written: unrecorded, imaging: imaging) {
            // A run stopped between the service's answer and its record: the write is done.
            var state = unrecorded
            state.remoteVersion = try await remoteVersion(of: targetAccount, in: target)
            state.copySHA256 = copy
            if !dryRun {
                try await store.recordWrite(PhotoWrite(
                    system: target.name, location: target.location, account: targetAccount, person: person, personId: personId, state: state,
                    audit: .init(runId: runId, action: index.written[targetAccount.id] == nil ? .uploaded : .updated,
                                 hashBefore: index.written[targetAccount.id]?.renditionSHA256, hashAfter: state.renditionSHA256,
                                 detail: "written by an interrupted run, found in \(target.name) and recorded")))
            }
            return TargetItem(index: index, account: targetAccount, written: state, standing: .ours, remoteVersion: state.remoteVersion,
                              photo: photo)
        }
        guard let written = index.written[targetAccount.id] else {
            // One request per photo: the version of someone Portrait never wrote is asked only by
            // a dry run, to say how many photos a first write would replace.
            let existing: Bool = switch targetAccount.photo {
            case .present: true
            case .absent: false
            case .unknown: dryRun ? try await remoteVersion(of: targetAccount, in: target) != nil : false
            }
            return TargetItem(index: index, account: targetAccount, written: nil, standing: .new(existing: existing))
        }
        guard target.capabilities.listsPhotoVersions || target is any PhotoVersionReading else {
            return TargetItem(index: index, account: targetAccount, written: written, standing: .ours)
        }
        let remote = try await remoteVersion(of: targetAccount, in: target)
        guard let now = remote else { return TargetItem(index: index, account: targetAccount, written: written, standing: .deleted) }
        if written.remoteVersion == now {
            return TargetItem(index: index, account: targetAccount, written: written, standing: .ours, remoteVersion: now)
        }
        // A write whose version its reply did not tell, a version that moves with any change to
        // the entry, or the service's own copy of the write: read once and judged by `OwnWrite`.
        guard let photo = try await target.readPhoto(of: targetAccount) else {
            return TargetItem(index: index, account: targetAccount, written: written, standing: .deleted)
        }
        var judged = written
        judged.fingerprint = try await store.writtenFingerprint(system: target.name, location: target.location, accountId: targetAccount.id)
        guard case .ours(let copy) = try await OwnWrite.verdict(on: photo, written: judged, imaging: imaging) else {
            return TargetItem(index: index, account: targetAccount, written: written, standing: .changed(from: written.remoteVersion, to: now),
                              remoteVersion: now, photo: photo)
        }
        var confirmed = judged
        confirmed.remoteVersion = now
        confirmed.copySHA256 = copy
        if !dryRun {
            try await store.recordConfirmedCopy(system: target.name, location: target.location, accountId: targetAccount.id,
                                                remoteVersion: now, copySHA256: copy)
        }
        return TargetItem(index: index, account: targetAccount, written: confirmed, standing: .ours, remoteVersion: now, photo: photo)
    }

    /// Writes the renditions `item`'s target wants and records them; `detail` says why in the
    /// audit log (otherwise what the write overwrote does).
    func write(_ rendered: RenderedPhoto, _ item: TargetItem, origin: WriteOrigin, detail why: String? = nil) async -> ItemOutcome {
        let person = origin.person
        let profiles = item.index.target.capabilities.renditions
        let indices = profiles.map { profile in rendered.renditions.firstIndex { $0.profile == profile }! }
        let renditions = indices.map { rendered.renditions[$0] }
        let digest = renditions.map(\.sha256).joined(separator: "+")
        if !force, item.lastWriteStands, item.written?.renditionSHA256 == digest {
            if !dryRun, item.written?.sourceVersion != origin.version {
                try? await store.recordSourceVersion(system: item.name, location: item.index.target.location,
                                                     accountId: item.account.id, sourceVersion: origin.version)
            }
            return ItemOutcome(person: person, system: item.name, action: .unchanged)
        }
        let (overwrote, overwritten) = describe(item)
        let detail = [why, overwritten].compactMap { $0 }.joined(separator: "; ")
        if dryRun {
            return ItemOutcome(person: person, system: item.name, action: .uploaded, message: overwritten, overwrote: overwrote)
        }
        do {
            // The first rendition is the one the system shows (`PhotoWriting.writePhoto`).
            var state = WrittenState(
                renditionSHA256: digest, fingerprint: indices.first.map { rendered.fingerprints[$0].description }, profile: item.index.profileText,
                sourceVersion: origin.version, remoteVersion: nil, writtenAt: Date())
            try await store.recordPendingWrite(system: item.name, location: item.index.target.location,
                                               accountId: item.account.id, state: state)
            // Recorded without a version when the write tells none: the next run confirms it.
            state.remoteVersion = try await item.index.target.writePhoto(renditions, for: item.account)
            let action: AuditEntry.Action = switch item.standing {
            case .new: .uploaded
            case .ours: .updated
            case .changed: .replaced
            case .deleted: .restored
            }
            try await store.recordWrite(PhotoWrite(
                system: item.name, location: item.index.target.location, account: item.account, person: origin.keys,
                personId: origin.personId, state: state,
                audit: .init(runId: runId, action: action, hashBefore: item.written?.renditionSHA256, hashAfter: digest,
                             detail: detail.isEmpty ? nil : detail)))
            RunMetrics.photoWritten(to: item.name)
            return ItemOutcome(person: person, system: item.name, action: .uploaded, message: overwritten, overwrote: overwrote,
                               version: state.remoteVersion)
        } catch {
            RunMetrics.photoFailed(in: item.name)
            return failure(person, item.index, error)
        }
    }

    /// What a write over `item` overwrites, and how the report and audit log say it.
    private func describe(_ item: TargetItem) -> (ItemOutcome.Overwrote?, String?) {
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
    func remoteVersion(of account: Account, in target: any PhotoWriting) async throws -> String? {
        switch account.photo {
        case .present(let version): return version
        case .absent: return nil
        case .unknown:
            guard let reader = target as? any PhotoVersionReading else { return nil }
            return try await reader.photoVersion(of: account)
        }
    }

    func failure(_ person: String, _ index: TargetIndex, _ error: any Error) -> ItemOutcome {
        guard let error = error as? SystemError, error.kind == .unreachable else {
            return ItemOutcome(person: person, system: index.target.name, action: .failed, message: "\(error)")
        }
        return unreachable(person, index.target.name, index.outage.record(error.message))
    }

    func unreachable(_ person: String, _ system: String, _ reason: String) -> ItemOutcome {
        ItemOutcome(person: person, system: system, action: .failed, message: reason, failure: .unreachable)
    }
}
