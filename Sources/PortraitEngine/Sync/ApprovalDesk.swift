import Foundation
import PortraitCore
import PortraitStore

/// The approval queue as people work it — `queue`, `approve` and `reject` on the command line and
/// the console's Queue page alike. A decision only changes the store (with who and why, in the
/// audit log); the next sync carries it out.
public struct ApprovalDesk: Sendable {
    public enum Verdict: String, Sendable {
        case approved, rejected
    }

    /// A photo waiting for a person's decision, beside the one it would replace.
    public struct Waiting: Sendable {
        public var personId: Int64
        public var person: String
        public var source: String
        public var firstSeen: Date
        /// Why it waits: a change from a source that needs approval, too small, against the guidelines.
        public var reason: String
        public var photo: String
        public var approvedPhoto: String?
        /// What each system asked for showed at the last sync, in the order asked.
        public var shows: [(system: String, shown: SyncStatus.Shown)] = []
    }

    public struct Decided: Sendable {
        public var person: String
        public var source: String
        public var photo: String
    }

    /// The person has no photo waiting (another approver decided first, or sync withdrew it).
    public struct NothingWaiting: Error, CustomStringConvertible {
        public var person: String
        public var description: String {
            "\(person) has no photo waiting for approval (portrait queue lists them; portrait reopen \(person) undoes their last decision)"
        }
    }

    /// A reason is one line for the audit log and history: at most this long.
    public static let maxReasonLength = 500

    /// A reason as given, made one line (control characters, line breaks among them, become
    /// spaces: a reason cannot forge a line of history), or nil when it says nothing.
    public static func reason(_ text: String) -> String? {
        let line = String(String.UnicodeScalarView(text.unicodeScalars.map {
            $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" ? " " : $0
        })).trimmingCharacters(in: .whitespaces)
        return line.isEmpty ? nil : line
    }

    /// "is 612 characters long; keep it to 500" for a reason too long to record, or nil.
    public static func lengthProblem(_ reason: String) -> String? {
        reason.count > maxReasonLength ? "is \(reason.count) characters long; keep it to \(maxReasonLength)" : nil
    }

    let store: Store

    public init(store: Store) {
        self.store = store
    }

    /// The photos waiting, oldest first, each with the approved photo and what each of `systems` shows.
    public func waiting(showing systems: [String] = []) async throws -> [Waiting] {
        // Independent reads: the store's pool answers them at once.
        async let queueRead = store.queue()
        let accounts = try await withThrowingTaskGroup(of: (String, [Int64: SyncStatus.Shown]).self) { group in
            for system in systems {
                group.addTask {
                    let rows = try await store.accountPhotos(system: system, waitingOnly: true)
                    return (system, Dictionary(rows.map { ($0.personId, SyncStatus.Shown(seen: $0.seen, written: $0.written)) }, uniquingKeysWith: { first, _ in first }))
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        return try await queueRead.map { entry in
            let photo = entry.waiting
            return Waiting(personId: photo.personId, person: entry.label, source: photo.source, firstSeen: photo.firstSeen,
                           reason: photo.reason ?? "", photo: photo.sha256, approvedPhoto: entry.approved,
                           shows: systems.map { ($0, accounts[$0]?[photo.personId] ?? .notSeen) })
        }
    }

    /// No person decided on any of the person's photos: there is nothing to reopen.
    public struct NothingDecided: Error, CustomStringConvertible {
        public var person: String
        public var description: String { "\(person) has no approved or rejected photo a person decided on (history shows what was decided)" }
    }

    /// Undoes the person's last decision: the photo waits again (an approval is taken back and the
    /// photo approved before it is published again), recorded with `by` and `reason`.
    public func reopen(person id: Int64, by: String, reason given: String?) async throws -> Decided {
        let who = try await store.personLabel(id)
        let detail = ["reopened by \(by)", given.flatMap(Self.reason)].compactMap { $0 }.joined(separator: ": ")
        let source = try await store.personPhotos(of: id).lastPersonDecision?.source ?? ""
        let event = PhotoEvent(personId: id, system: source, accountId: try await store.linkedAccount(person: id, system: source) ?? "",
                               personLabel: who, runId: nil, detail: detail)
        guard let reopened = try await store.reopen(event: event, reason: detail) else { throw NothingDecided(person: who) }
        return Decided(person: who, source: reopened.source, photo: reopened.sha256)
    }

    /// Decides on the person's waiting photo, recording `by` and `reason` in the audit log.
    public func decide(_ verdict: Verdict, person id: Int64, by: String, reason given: String?) async throws -> Decided {
        let reason = given.flatMap(Self.reason)
        let who = try await store.personLabel(id)
        guard let waiting = try await store.personPhotos(of: id).first(where: { $0.status == .waiting }) else {
            throw NothingWaiting(person: who)
        }
        let event = PhotoEvent(personId: id, system: waiting.source,
                               accountId: try await store.linkedAccount(person: id, system: waiting.source) ?? "",
                               personLabel: who, runId: nil, detail: ["by \(by)", reason].compactMap { $0 }.joined(separator: ": "))
        switch verdict {
        case .approved:
            try await store.approve(waiting.sha256, source: waiting.source, firstSeen: waiting.firstSeen, by: by,
                                    reason: reason, event: event, action: .approved)
        case .rejected:
            try await store.closeWaiting(waiting.sha256, as: .rejected, by: by, reason: reason, event: event)
        }
        return Decided(person: who, source: waiting.source, photo: waiting.sha256)
    }
}
