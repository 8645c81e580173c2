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

    /// A target this person is to be written to, with what is known before reading the photo.
    private struct Pending: Sendable {
        let index: TargetIndex
        let account: Account
        let written: WrittenState?
        /// The target's photo version now; nil when it has none or does not report versions.
        let remoteVersion: String?

        var name: String { index.target.name }

        /// Whether someone else changed the photo since Portrait's last write.
        var changedElsewhere: Bool {
            guard let written, written.remoteVersion != nil else { return false }
            return remoteVersion != written.remoteVersion
        }

        /// Whether what was last written still stands, made from the same profiles.
        var lastWriteStands: Bool {
            guard let written else { return false }
            return written.profile == index.profileText && !changedElsewhere
        }
    }

    func run(_ account: Account) async -> [ItemOutcome] {
        let person = account.label
        var outcomes: [ItemOutcome] = []
        var pending: [Pending] = []
        for index in indexes {
            switch index.account(for: account.keys) {
            case .failure(let error):
                outcomes.append(ItemOutcome(person: person, system: index.target.name, action: .failed, message: error.message))
            case .success(let targetAccount):
                do {
                    pending.append(try await self.pending(targetAccount, in: index))
                } catch {
                    outcomes.append(failure(person, index.target.name, error))
                }
            }
        }

        // Same source version, same profiles, untouched since: nothing to read or render.
        if !options.force, let sourceVersion = account.photo.version {
            pending.removeAll { item in
                guard item.lastWriteStands, item.written?.sourceVersion == sourceVersion else { return false }
                outcomes.append(ItemOutcome(person: person, system: item.name, action: .unchanged))
                return true
            }
        }
        guard !pending.isEmpty else { return outcomes }

        let rendered: RenderedPhoto
        let wanted = profiles(for: pending)
        do {
            guard let photo = try await engine.photoSlots.withPermit({ () async throws -> RenderedPhoto? in
                guard let photo = try await source.readPhoto(of: account) else { return nil }
                return try await engine.render(photo, profiles: wanted)
            }) else {
                return outcomes + pending.map {
                    ItemOutcome(person: person, system: $0.name, action: .skipped, message: "no photo in \(source.name)")
                }
            }
            rendered = photo
        } catch {
            return outcomes + pending.map { failure(person, $0.name, error) }
        }

        for item in pending {
            outcomes.append(await write(rendered, item, source: account))
        }
        return outcomes
    }

    /// What is known of the person's photo in a target before reading the source photo.
    private func pending(_ targetAccount: Account, in index: TargetIndex) async throws -> Pending {
        // The target's version matters only to compare with a write of ours.
        var written = index.written[targetAccount.id]
        let remote = written == nil ? nil : try await remoteVersion(of: targetAccount, in: index.target)
        // A write whose version was never read back (a run stopped in between) takes the
        // version there now as its own.
        if let remote, written != nil, written?.remoteVersion == nil {
            written?.remoteVersion = remote
            if !options.dryRun {
                try await engine.store.recordRemoteVersion(system: index.target.name, accountId: targetAccount.id, remoteVersion: remote)
            }
        }
        return Pending(index: index, account: targetAccount, written: written, remoteVersion: remote)
    }

    private func write(_ rendered: RenderedPhoto, _ item: Pending, source account: Account) async -> ItemOutcome {
        let person = account.label
        let renditions = item.index.target.capabilities.renditions.map { profile in
            rendered.renditions.first { $0.profile == profile }!
        }
        let digest = renditions.map(\.sha256).joined(separator: "+")
        if !options.force, item.lastWriteStands, item.written?.renditionSHA256 == digest {
            if !options.dryRun, item.written?.sourceVersion != account.photo.version {
                try? await engine.store.recordSourceVersion(system: item.name, accountId: item.account.id, sourceVersion: account.photo.version)
            }
            return ItemOutcome(person: person, system: item.name, action: .unchanged)
        }
        let replacing = item.changedElsewhere
            ? "replaced a photo changed in \(item.name) since Portrait's last write (version \(item.written?.remoteVersion ?? "none") → \(item.remoteVersion ?? "none"))"
            : nil
        if options.dryRun {
            return ItemOutcome(person: person, system: item.name, action: .uploaded, message: replacing)
        }
        do {
            let version = try await item.index.target.writePhoto(renditions, for: item.account)
            let action: AuditEntry.Action = item.written == nil ? .uploaded : (replacing != nil ? .replaced : .updated)
            let state = WrittenState(
                renditionSHA256: digest, perceptualHash: rendered.perceptualHash.description,
                profile: item.index.profileText, sourceVersion: account.photo.version,
                remoteVersion: version, writtenAt: Date())
            try await engine.store.recordWrite(PhotoWrite(
                system: item.name, account: item.account, person: account.keys, state: state,
                audit: .init(runId: runId, action: action, hashBefore: item.written?.renditionSHA256,
                             hashAfter: digest, detail: replacing)))
            // The write is on record before its version is asked for: a run stopped now does not
            // send the photo again.
            if version == nil, let reader = item.index.target as? any PhotoVersionReading,
               let readBack = try await reader.photoVersion(of: item.account) {
                try await engine.store.recordRemoteVersion(system: item.name, accountId: item.account.id, remoteVersion: readBack)
            }
            return ItemOutcome(person: person, system: item.name, action: .uploaded, message: replacing)
        } catch {
            return failure(person, item.name, error)
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

    private func failure(_ person: String, _ system: String, _ error: any Error) -> ItemOutcome {
        ItemOutcome(person: person, system: system, action: .failed, message: "\(error)")
    }
}
