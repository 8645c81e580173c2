import Foundation
import PortraitStore

/// What the store knows as of the last sync: per system, what people's accounts show; and the
/// people whose systems disagree with their approved photo.
public struct SyncStatus: Sendable {
    public struct System: Encodable, Sendable {
        public var name: String
        public var people = 0, withPhoto = 0, showingApproved = 0, showingOther = 0, withoutPhoto = 0, tooSmall = 0
        /// Linked accounts no sync has read (a target Portrait never wrote to).
        public var unknown = 0

        enum CodingKeys: String, CodingKey {
            case name, people, unknown
            case withPhoto = "with_photo"
            case showingApproved = "showing_approved"
            case showingOther = "showing_other"
            case withoutPhoto = "without_photo"
            case tooSmall = "too_small"
        }
    }

    /// What one account showed: a kept photo (by SHA-256), no photo, or nothing known.
    public enum Shown: Equatable, Sendable {
        case photo(String)
        case none
        case notSeen

        /// What a sync saw there, else what Portrait wrote there.
        init(seen: String??, written: String?) {
            self = switch seen ?? written.map({ .some($0) }) {
            case .none: .notSeen
            case .some(.none): .none
            case .some(.some(let sha)): .photo(sha)
            }
        }
    }

    public struct Person: Sendable {
        public var id: Int64
        public var label: String
        public var approved: String?
        public var waiting: PersonPhoto?
        /// In the policy's order of systems.
        public var shows: [(system: String, shown: Shown)]
    }

    public var peopleWithApproved: Int
    public var systems: [System]
    /// Where the approved photo is kept: only these disagree by showing another.
    public var targets: Set<String>
    /// Photos waiting for approval.
    public var waiting: Int
    public var lastRun: RunRecord?
    public var disagreeing: [Person]

    public init(store: Store, policy: SyncPolicy) async throws {
        let targets = Set(policy.targets)
        // The reads are independent: the store's pool answers them at once, on every core.
        async let photosRead = store.personPhotos()
        async let sizesRead = store.photoSizes()
        async let labelsRead = store.personLabels()
        async let runsRead = store.runs(limit: 20)
        let accounts = try await withThrowingTaskGroup(of: (String, [(personId: Int64, accountId: String, seen: String??, written: String?)]).self) { group in
            for name in policy.systems {
                group.addTask { (name, try await store.accountPhotos(system: name)) }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        let photos = try await photosRead
        let approved = photos.compactMapValues { $0.first { $0.status == .approved }?.sha256 }
        let sizes = try await sizesRead
        var shows: [Int64: [(system: String, shown: Shown)]] = [:]
        systems = []
        for name in policy.systems {
            var counts = System(name: name)
            for row in accounts[name] ?? [] {
                counts.people += 1
                let shown = Shown(seen: row.seen, written: row.written)
                switch shown {
                case .notSeen: counts.unknown += 1
                case .none: counts.withoutPhoto += 1
                case .photo(let sha):
                    counts.withPhoto += 1
                    if sha == approved[row.personId] { counts.showingApproved += 1 } else { counts.showingOther += 1 }
                    if let size = sizes[sha], min(size.width, size.height) < policy.minSide { counts.tooSmall += 1 }
                }
                shows[row.personId, default: []].append((name, shown))
            }
            systems.append(counts)
        }
        peopleWithApproved = approved.count
        self.targets = targets
        waiting = photos.values.reduce(0) { $0 + $1.count { $0.status == .waiting } }
        lastRun = try await runsRead.first { $0.command == "sync" }
        var disagreeing: [Person] = []
        let labels = try await labelsRead
        for (id, shown) in shows {
            let approvedPhoto = approved[id]
            let waitingPhoto = photos[id]?.first { $0.status == .waiting }
            let agree = waitingPhoto == nil && shown.allSatisfy { system, shown in
                guard targets.contains(system) else { return true }
                return switch shown {
                case .notSeen: true
                case .none: approvedPhoto == nil
                case .photo(let sha): sha == approvedPhoto
                }
            }
            guard !agree else { continue }
            let label = labels[id] ?? "person \(id)"
            disagreeing.append(Person(id: id, label: label, approved: approvedPhoto, waiting: waitingPhoto, shows: shown))
        }
        // By label (mostly mail addresses); a plain comparison: Foundation's localised one took
        // most of the time for 10,000 people.
        self.disagreeing = disagreeing.sorted { $0.label < $1.label }
    }
}
