import Foundation

/// Everything the decision for one person rests on, gathered before deciding: the approved
/// photo, what each source and target shows, and what people decided about photos before.
/// Photos are named by their master's SHA-256.
public struct PersonSituation: Sendable, Equatable {
    /// A photo a source shows that is not a copy of the approved one.
    public struct Candidate: Sendable, Equatable {
        public var photo: String
        /// When Portrait first saw it there: "latest" precedence compares these.
        public var firstSeen: Date
        public var width: Int
        public var height: Int
        /// Why it falls short of the photo guidelines (`[guidelines]`); empty when it meets them
        /// or there are none.
        public var shortfalls: [String]
        /// It was there when sync first read its source (before Portrait: `existing` says whether
        /// such a photo from an approval source is taken as approved).
        public var foundAtStart: Bool

        public init(photo: String, firstSeen: Date, width: Int, height: Int, shortfalls: [String] = [], foundAtStart: Bool = false) {
            self.photo = photo
            self.firstSeen = firstSeen
            self.width = width
            self.height = height
            self.shortfalls = shortfalls
            self.foundAtStart = foundAtStart
        }
    }

    public enum SourceShows: Sendable, Equatable {
        /// No photo there.
        case nothing
        /// A copy of the approved photo that did not originate there (Portrait's write, a
        /// service's re-encoded echo): not a photo of its own.
        case echo
        /// A photo of its own, which may be the approved one where it originated.
        case photo(Candidate)
        /// It could not be read this run: nothing is decided on a guess.
        case unknown
        /// A photo that cannot be decoded: never published, and, like `unknown`, no ground for
        /// a decision — but where the system is also a target, the approved photo goes back over it.
        case unreadable
    }

    public enum TargetShows: Sendable, Equatable {
        /// What Portrait wrote there, made from this photo; `current` when made with the
        /// target's current renditions.
        case ours(photo: String, current: Bool)
        /// A photo someone else put there since Portrait's last write, or before its first.
        case other
        /// No photo; `wasOurs` when Portrait's photo was there and someone deleted it.
        case nothing(wasOurs: Bool)
        /// It could not be told this run: the target is left alone.
        case unknown
    }

    public enum Verdict: String, Sendable, Equatable {
        case waiting, approved, rejected
    }

    /// The photo Portrait publishes for this person, and the source it came from.
    public var approved: String?
    public var approvedSource: String?
    /// One per source where the person has an account, in any order.
    public var sources: [String: SourceShows]
    /// One per target where the person has an account.
    public var targets: [String: TargetShows]
    /// What people decided about this person's photos (and what waits).
    public var verdicts: [String: Verdict]

    public init(approved: String? = nil, approvedSource: String? = nil, sources: [String: SourceShows] = [:],
                targets: [String: TargetShows] = [:], verdicts: [String: Verdict] = [:]) {
        self.approved = approved
        self.approvedSource = approvedSource
        self.sources = sources
        self.targets = targets
        self.verdicts = verdicts
    }
}

/// What to do for one person: a pure function of the situation and the policy.
public struct SyncPlan: Sendable, Equatable {
    public enum Action: String, Sendable, Codable {
        /// A new approved photo, written to every target that does not show it.
        case publish
        /// A photo waits for approval.
        case queue
        /// An unapproved or rejected photo replaced by the approved one where it was made.
        case revert
        /// A target changed by someone else gets the approved photo back.
        case repair
        /// The photo removed from every target.
        case delete
    }

    /// One line of the plan: an action on some targets, and why.
    public struct Change: Sendable, Equatable {
        public var action: Action
        /// The source system the photo comes from (or, for a delete, was removed from).
        public var from: String?
        public var to: [String]
        public var reason: String

        public init(action: Action, from: String?, to: [String], reason: String) {
            self.action = action
            self.from = from
            self.to = to
            self.reason = reason
        }
    }

    /// A new approved photo: the candidate, and the source it comes from.
    public var approve: (photo: String, source: String)?
    /// A candidate to wait for approval, and why.
    public var queue: (photo: String, source: String, reason: String)?
    /// Targets to be written the approved photo (after `approve`, the new one).
    public var writes: [String] = []
    /// Targets that already show the approved photo because it was made there: recorded, not written.
    public var adopt: [String] = []
    /// Targets to remove the photo from; the approved photo is withdrawn.
    public var deletes: [String] = []
    public var changes: [Change] = []

    public var isEmpty: Bool { approve == nil && queue == nil && writes.isEmpty && adopt.isEmpty && deletes.isEmpty }

    public static func == (a: SyncPlan, b: SyncPlan) -> Bool {
        a.approve?.photo == b.approve?.photo && a.approve?.source == b.approve?.source
            && a.queue?.photo == b.queue?.photo && a.queue?.source == b.queue?.source && a.queue?.reason == b.queue?.reason
            && a.writes == b.writes && a.adopt == b.adopt && a.deletes == b.deletes && a.changes == b.changes
    }
}

extension SyncPolicy {
    /// Decides what to do for one person. No I/O: a table of situations tests it.
    public func decide(_ situation: PersonSituation) -> SyncPlan {
        var plan = SyncPlan()
        let views = sources.compactMap { name in situation.sources[name].map { (name, $0) } }
        // A source that could not be read may hold the winning photo: decide nothing on a guess.
        guard !views.contains(where: { $0.1 == .unknown }) else { return plan }
        let unreadable = views.filter { $0.1 == .unreadable }.map(\.0)
        guard unreadable.isEmpty else {
            guard situation.approved != nil else { return plan }
            plan.writes = targets.filter { unreadable.contains($0) && situation.targets[$0] == .other }
            if !plan.writes.isEmpty {
                plan.changes.append(.init(action: .repair, from: situation.approvedSource, to: plan.writes,
                                          reason: "the photo there cannot be read"))
            }
            return plan
        }

        let candidates: [(source: String, candidate: PersonSituation.Candidate)] = views.compactMap { name, shows in
            guard case .photo(let candidate) = shows, situation.verdicts[candidate.photo] != .rejected else { return nil }
            return (name, candidate)
        }
        let ordered = switch precedence {
        case .ranked: candidates
        // The most recent first; of equals, the higher ranked (earlier) one.
        case .latest: candidates.enumerated().sorted { a, b in
                (a.element.candidate.firstSeen, b.offset) > (b.element.candidate.firstSeen, a.offset)
            }.map(\.element)
        }

        // Which photo targets should show after this run, and which source's change waits. A
        // photo that waits holds back nothing below it: the next photo in precedence that may be
        // published is — except where the approved photo was made, for which it still stands.
        var shown = situation.approved
        var waiting: (source: String, photo: String)?
        for (source, candidate) in ordered {
            if candidate.photo == situation.approved { break }
            if let reason = waitReason(candidate, from: source, verdict: situation.verdicts[candidate.photo]) {
                if waiting == nil {
                    waiting = (source, candidate.photo)
                    plan.queue = (candidate.photo, source, reason)
                    plan.changes.append(.init(action: .queue, from: source, to: [], reason: reason))
                }
                if situation.approved != nil, source == situation.approvedSource { break }
                continue
            }
            plan.approve = (candidate.photo, source)
            shown = candidate.photo
            break
        }
        if candidates.isEmpty, situation.approved != nil, delete == .propagate,
           let origin = situation.approvedSource, (situation.sources[origin] ?? .nothing) == .nothing {
            // Removed where it came from (or the person is gone from there), and no other source
            // has one: removed everywhere.
            plan.deletes = targets.filter { name in
                if case .ours? = situation.targets[name] { return true }
                return false
            }
            if !plan.deletes.isEmpty {
                plan.changes.append(.init(action: .delete, from: origin, to: plan.deletes, reason: "the photo was removed in \(origin)"))
            }
            return plan
        }
        guard let shown else { return plan }

        // Per target: the action and why, grouped into the plan's changes afterwards.
        var steps: [(action: SyncPlan.Action, reason: String, target: String)] = []
        let newPhoto = plan.approve.map { approve in
            situation.verdicts[approve.photo] == .approved ? "approved"
                : situation.approved == nil ? "first photo, from \(approve.source)" : "new photo in \(approve.source)"
        }
        for name in targets {
            guard let shows = situation.targets[name] else { continue }
            let ownPhoto: String? = if case .photo(let candidate)? = situation.sources[name] { candidate.photo } else { nil }
            switch shows {
            case .unknown:
                continue
            case .ours(let photo, let current):
                if photo != shown {
                    steps.append((.publish, newPhoto ?? "the approved photo changed since it was written there", name))
                } else if !current {
                    steps.append((.publish, "written there with other renditions", name))
                }
            case .nothing(let wasOurs):
                steps.append(wasOurs ? (.repair, "deleted in \(name)", name) : (.publish, newPhoto ?? "not yet written there", name))
            case .other:
                if let ownPhoto, ownPhoto == shown {
                    // The photo there is the one to publish (made there): it stays as it is, and
                    // is recorded as shown so later runs need not compare it again.
                    plan.adopt.append(name)
                } else if let waiting, waiting.source == name, ownPhoto == waiting.photo {
                    if unapproved == .revert {
                        steps.append((.revert, "unapproved change in \(name) (unapproved = \"revert\")", name))
                    }
                } else if let ownPhoto, situation.verdicts[ownPhoto] == .rejected {
                    steps.append((.revert, "the photo in \(name) was rejected", name))
                } else {
                    steps.append((.repair, "changed in \(name) by someone else", name))
                }
            }
        }
        plan.writes = steps.map(\.target)
        // A newly approved photo is a change even where no target needs writing.
        if let approve = plan.approve, let newPhoto, !steps.contains(where: { $0.action == .publish }) {
            plan.changes.append(.init(action: .publish, from: approve.source, to: [],
                                      reason: newPhoto + (steps.isEmpty ? "; every target shows it already" : "")))
        }
        let from = plan.approve?.source ?? situation.approvedSource
        for step in steps {
            if let index = plan.changes.firstIndex(where: { $0.action == step.action && $0.reason == step.reason }) {
                plan.changes[index].to.append(step.target)
            } else {
                plan.changes.append(.init(action: step.action, from: from, to: [step.target], reason: step.reason))
            }
        }
        return plan
    }

    /// Why a candidate must wait for a person's approval, or nil when it may be published.
    private func waitReason(_ candidate: PersonSituation.Candidate, from source: String, verdict: PersonSituation.Verdict?) -> String? {
        guard verdict != .approved else { return nil }
        let side = min(candidate.width, candidate.height)
        if approval.contains(source), !(candidate.foundAtStart && existing == .approve) {
            return "changed in \(source); \(source) needs approval"
        }
        if side < minSide {
            return "too small (\(candidate.width)×\(candidate.height), under min_side \(minSide))"
        }
        if !candidate.shortfalls.isEmpty {
            return "against the photo guidelines: " + candidate.shortfalls.joined(separator: "; ")
        }
        return nil
    }
}
