import Foundation
import PortraitCore
import PortraitImaging
import PortraitStore

/// One person's push to every target.
struct PersonJob: Sendable {
    let imaging: Imaging
    let writer: TargetWriter
    let source: any PhotoSystem
    let indexes: [TargetIndex]
    let options: PushEngine.Options
    /// What sync last read from the source: the photo each version stands for.
    let seen: [String: SeenVersion]

    func run(_ account: Account) async -> PersonResult {
        let person = account.label
        var result = PersonResult(person: person)
        var pending: [TargetItem] = []
        for index in indexes {
            if let reason = index.outage.current {
                result.outcomes.append(writer.unreachable(person, index.target.name, reason))
                continue
            }
            switch index.account(for: account.keys) {
            case .failure(let error):
                result.outcomes.append(ItemOutcome(person: person, system: index.target.name, action: .failed, message: error.message))
            case .success(let targetAccount):
                do {
                    pending.append(try await writer.item(targetAccount, in: index, person: account.keys))
                } catch {
                    result.outcomes.append(writer.failure(person, index, error))
                }
            }
        }

        // Same source version, same profiles, untouched since: nothing to read or render. A sync's
        // write names the photo, which the source shows at the version sync last read there.
        if !options.force, let sourceVersion = account.photo.version {
            let photo = seen[account.id].flatMap { $0.version == sourceVersion ? $0.photo : nil }
            pending.removeAll { item in
                guard item.lastWriteStands, let written = item.written?.sourceVersion,
                      written == sourceVersion || written == photo else { return false }
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
            guard let photo = try await imaging.photoSlots.withPermit({ () async throws -> RenderedPhoto? in
                guard let photo = try await source.readPhoto(of: account) else { return nil }
                return try await imaging.render(photo, profiles: wanted, measure: options.guidelines != nil)
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
        result.noFace = rendered.faceCropFellBack
        if let guidelines = options.guidelines, let measures = rendered.measures {
            let reasons = guidelines.reasons(for: measures)
            if !reasons.isEmpty {
                let text = "against the photo guidelines: " + reasons.joined(separator: "; ")
                guard !options.strict else {
                    result.outcomes += pending.map {
                        ItemOutcome(person: person, system: $0.name, action: .failed, message: text + " — not written (--strict)", failure: .source)
                    }
                    return result
                }
                result.warnings.append(ReportedProblem(person: person, system: source.name, message: text))
            }
        }

        for item in pending {
            guard !options.stop.requested else {
                result.complete = false
                break
            }
            result.outcomes.append(await writer.write(rendered, item, origin: WriteOrigin(
                person: person, keys: account.keys, version: account.photo.version)))
        }
        return result
    }

    /// Every profile the pending targets want, each once.
    private func profiles(for pending: [TargetItem]) -> [RenditionProfile] {
        var seen: Set<RenditionProfile> = []
        return pending.flatMap(\.index.target.capabilities.renditions).filter { seen.insert($0).inserted }
    }

    /// A source photo smaller than a target's side is written at its own size: say so, once.
    private func smallerThanWanted(_ rendered: RenderedPhoto, _ pending: [TargetItem], person: String) -> ReportedProblem? {
        let side = min(rendered.width, rendered.height)
        let short = pending.filter { item in item.index.target.capabilities.renditions.contains { !$0.upscale && $0.side > side } }
        guard let largest = short.flatMap(\.index.target.capabilities.renditions).map(\.side).max() else { return nil }
        let names = short.map(\.name).joined(separator: ", ")
        return ReportedProblem(person: person, system: source.name, message: "the photo is \(rendered.width)×\(rendered.height) px, smaller than the \(largest) px \(names) \(short.count == 1 ? "wants" : "want"): written at \(side) px; a larger original looks better (or set upscale = true)")
    }
}
