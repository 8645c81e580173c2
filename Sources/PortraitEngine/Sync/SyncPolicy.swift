import PortraitCore

/// What `[sync]` in portrait.toml says: where a person's photo may come from, where the approved
/// photo is kept, and who must approve what.
public struct SyncPolicy: Sendable, Equatable {
    public enum Precedence: String, Sendable, CaseIterable {
        /// The first source (in `sources` order) with a photo wins.
        case ranked
        /// The most recent change among the sources wins (ties: `sources` order).
        case latest
    }

    public enum Unapproved: String, Sendable, CaseIterable {
        /// Leave an unapproved change where it was made; publish it nowhere.
        case hold
        /// Put the approved photo back where the unapproved change was made, at once.
        case revert
    }

    /// Photos already in an approval source when sync first reads it: nobody changed them, yet
    /// they were never approved.
    public enum Existing: String, Sendable, CaseIterable {
        /// Take them as approved: the start, as the systems stand.
        case approve
        /// Queue each for a person's approval; meanwhile the next photo in precedence is published.
        case queue
    }

    public enum Deletion: String, Sendable, CaseIterable {
        /// A photo removed at its source: keep publishing the approved one.
        case keep
        /// A photo removed at its source: remove it from every target.
        case propagate
    }

    /// Highest precedence first.
    public var sources: [String]
    public var targets: [String]
    public var precedence: Precedence
    /// Sources whose changes wait for approval.
    public var approval: Set<String>
    public var unapproved: Unapproved
    public var existing: Existing
    public var delete: Deletion
    /// A source photo whose short side is below this is never published on its own.
    public var minSide: Int
    /// The keys accounts are joined into people by, in order: the first key an account and a
    /// person share decides.
    public var join: [MatchKey]
    /// `[guidelines]`: a new photo that falls short of them waits for approval, with the reasons.
    public var guidelines: Guidelines?

    public static let defaultJoin: [MatchKey] = [.employeeId, .mail, .userPrincipalName]

    public init(sources: [String], targets: [String], precedence: Precedence = .ranked, approval: Set<String> = [],
                unapproved: Unapproved = .hold, existing: Existing = .approve, delete: Deletion = .keep, minSide: Int = 256,
                join: [MatchKey] = defaultJoin) {
        self.sources = sources
        self.targets = targets
        self.precedence = precedence
        self.approval = approval
        self.unapproved = unapproved
        self.existing = existing
        self.delete = delete
        self.minSide = minSide
        self.join = join
    }

    /// Every system the policy names, sources first, each once.
    public var systems: [String] {
        (sources + targets).reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
    }

    /// Whether a photo people set themselves in `system` is written over by sync — repaired
    /// because a higher-ranked source wins, or reverted until approved — so that `check` should
    /// say whether the system lets people set one.
    public func overwritesOwnChanges(in system: String) -> Bool {
        guard targets.contains(system) else { return false }
        guard let rank = sources.firstIndex(of: system) else { return true }
        if approval.contains(system) { return unapproved == .revert }
        return precedence == .ranked && rank > 0
    }
}
