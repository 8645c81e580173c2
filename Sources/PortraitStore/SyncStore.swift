import Foundation
import GRDB
import PortraitCore

/// A photo Portrait keeps (its master), by SHA-256.
public struct StoredPhoto: Sendable, Equatable {
    public var sha256: String
    public var width: Int
    public var height: Int
    public var bytes: Int
    /// The master's `Fingerprint` (text form): recognises its copies elsewhere.
    public var fingerprint: String
    public var firstSeen: Date

    public init(sha256: String, width: Int, height: Int, bytes: Int, fingerprint: String, firstSeen: Date) {
        self.sha256 = sha256
        self.width = width
        self.height = height
        self.bytes = bytes
        self.fingerprint = fingerprint
        self.firstSeen = firstSeen
    }
}

/// One of a person's photos and where it stands.
public struct PersonPhoto: Sendable, Equatable {
    public enum Status: String, Sendable, Codable {
        /// The photo Portrait publishes (one per person).
        case approved
        /// Approved before, replaced by a newer one; kept for reverts and history.
        case superseded
        /// Waiting for someone to approve or reject it (one per person).
        case waiting
        case rejected
        /// Waited, but its source no longer shows it.
        case withdrawn
    }

    public var personId: Int64
    public var sha256: String
    /// The system it came from.
    public var source: String
    public var firstSeen: Date
    public var status: Status
    /// Why it waits, or why it was approved or rejected.
    public var reason: String?
    public var decidedBy: String?
    public var decidedAt: Date?
}

extension [PersonPhoto] {
    /// The last approval or rejection a person (not sync's policy) made: what `reopen` undoes.
    public var lastPersonDecision: PersonPhoto? {
        filter { [.approved, .rejected].contains($0.status) && $0.decidedBy != nil && $0.decidedBy != "sync" }
            .max { ($0.decidedAt ?? .distantPast) < ($1.decidedAt ?? .distantPast) }
    }
}

/// The version a system last showed for an account, and which photo that was (nil: none).
public struct SeenVersion: Sendable, Equatable {
    public var version: String
    public var photo: String?
    public var seenAt: Date
}

/// A person for the join to keep: an existing one (`id`) or a new one, with the accounts linked to them.
public struct JoinedPerson: Sendable {
    public var id: Int64?
    public var keys: MatchKeys
    public var newLinks: [(system: String, account: Account)]

    public init(id: Int64?, keys: MatchKeys, newLinks: [(system: String, account: Account)]) {
        self.id = id
        self.keys = keys
        self.newLinks = newLinks
    }
}

/// A decision or event about a person's photo, for the audit log.
public struct PhotoEvent: Sendable {
    public var personId: Int64
    /// The system the photo came from, and the person's account there ("" when none).
    public var system: String
    public var accountId: String
    public var personLabel: String
    public var runId: Int64?
    public var detail: String?

    public init(personId: Int64, system: String, accountId: String, personLabel: String, runId: Int64?, detail: String?) {
        self.personId = personId
        self.system = system
        self.accountId = accountId
        self.personLabel = personLabel
        self.runId = runId
        self.detail = detail
    }
}

extension Store {
    // MARK: - People across systems

    /// What the join starts from: every link (system → account id → person) and every person's keys.
    public func joinState() async throws -> (links: [String: [String: Int64]], people: [Int64: MatchKeys]) {
        try await db.read { db in
            var links: [String: [String: Int64]] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT system, account_id, person_id FROM account WHERE person_id IS NOT NULL")
            while let row = try rows.next() {
                links[row["system"], default: [:]][row["account_id"]] = row["person_id"]
            }
            var people: [Int64: MatchKeys] = [:]
            let persons = try Row.fetchCursor(db, sql: "SELECT id, mail, user_principal_name, employee_id, account_name FROM person")
            while let row = try persons.next() {
                people[row["id"]] = Self.keys(row)
            }
            return (links, people)
        }
    }

    /// Saves a join: new people made, keys brought up to date, new links kept. Returns each
    /// person's id, in order.
    public func saveJoin(_ people: [JoinedPerson]) async throws -> [Int64] {
        try await db.write { db in
            try people.map { person in
                let id: Int64
                if let existing = person.id {
                    id = existing
                    try db.execute(sql: """
                        UPDATE person SET mail = ?, user_principal_name = ?, employee_id = ?, account_name = ? WHERE id = ?
                        """, arguments: [person.keys.mail, person.keys.userPrincipalName, person.keys.employeeId,
                                         person.keys.accountName, id])
                } else {
                    // The readable key when free; two people may share a mail until someone fixes it.
                    let readable = Self.personKey(person.keys)
                    let taken = try readable.map { try Bool.fetchOne(db, sql: "SELECT 1 FROM person WHERE key = ?", arguments: [$0]) ?? false } ?? true
                    try db.execute(sql: """
                        INSERT INTO person (key, mail, user_principal_name, employee_id, account_name) VALUES (?, ?, ?, ?, ?)
                        """, arguments: [taken ? "person:\(UUID().uuidString.lowercased())" : readable!, person.keys.mail,
                                         person.keys.userPrincipalName, person.keys.employeeId, person.keys.accountName])
                    id = db.lastInsertedRowID
                }
                for link in person.newLinks {
                    try Self.upsertAccount(link.account, system: link.system, personId: id, in: db)
                }
                return id
            }
        }
    }

    /// People whose mail, UPN, employee id or logon name is `key` (any case), or whose account in
    /// any system has it.
    public func findPeople(_ key: String) async throws -> [Int64] {
        try await db.read { db in
            let lower = key.lowercased()
            return try Int64.fetchAll(db, sql: """
                SELECT id FROM person WHERE mail = ?1 OR user_principal_name = ?1 OR employee_id = ?2 OR account_name = ?1
                UNION SELECT person_id FROM account WHERE person_id IS NOT NULL
                    AND (mail = ?1 OR user_principal_name = ?1 OR employee_id = ?2 OR account_name = ?1)
                """, arguments: [lower, key])
        }
    }

    public func personKeys(_ id: Int64) async throws -> MatchKeys? {
        try await db.read { db in
            try Row.fetchOne(db, sql: "SELECT mail, user_principal_name, employee_id, account_name FROM person WHERE id = ?",
                             arguments: [id]).map(Self.keys)
        }
    }

    /// People any of whose keys (mail, UPN, employee id, logon name, here or in any system)
    /// contain `text`, any case; at most `limit`, by label.
    public func searchPeople(_ text: String, limit: Int = 50) async throws -> [(id: Int64, label: String)] {
        let pattern = "%" + text.lowercased().replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
        return try await db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, mail, user_principal_name, employee_id, account_name FROM person WHERE id IN (
                    SELECT id FROM person WHERE lower(coalesce(mail, '') || ' ' || coalesce(user_principal_name, '') || ' '
                        || coalesce(employee_id, '') || ' ' || coalesce(account_name, '')) LIKE ?1 ESCAPE '\\'
                    UNION SELECT person_id FROM account WHERE person_id IS NOT NULL AND lower(coalesce(mail, '') || ' '
                        || coalesce(user_principal_name, '') || ' ' || coalesce(employee_id, '') || ' ' || coalesce(account_name, '')) LIKE ?1 ESCAPE '\\')
                """, arguments: [pattern]).map { row -> (id: Int64, label: String) in
                    let id: Int64 = row["id"]
                    return (id, Self.keys(row).label ?? "person \(id)")
                }
                .sorted { $0.label.localizedStandardCompare($1.label) == .orderedAscending }
                .prefix(limit).map { $0 }
        }
    }

    /// How a person is named in reports and pages: their mail, UPN, employee id or logon name.
    public func personLabel(_ id: Int64) async throws -> String {
        try await personKeys(id)?.label ?? "person \(id)"
    }

    /// Everyone's `personLabel`, in one read: for pages that name many people.
    public func personLabels() async throws -> [Int64: String] {
        try await db.read { db in
            var labels: [Int64: String] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT id, mail, user_principal_name, employee_id, account_name FROM person")
            while let row = try rows.next() {
                let id: Int64 = row[0]
                labels[id] = Self.label(row, keysFrom: 1, id: id)
            }
            return labels
        }
    }

    /// The person's account in `system`, if linked.
    public func linkedAccount(person: Int64, system: String) async throws -> String? {
        try await db.read { db in
            try String.fetchOne(db, sql: "SELECT account_id FROM account WHERE person_id = ? AND system = ?", arguments: [person, system])
        }
    }

    // MARK: - Photos

    public func photo(_ sha256: String) async throws -> StoredPhoto? {
        try await db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM photo WHERE sha256 = ?", arguments: [sha256]).map { row in
                StoredPhoto(sha256: row["sha256"], width: row["width"], height: row["height"], bytes: row["bytes"],
                            fingerprint: row["fingerprint"], firstSeen: row["first_seen"])
            }
        }
    }

    /// Keeps a master: its file, then its row.
    public func savePhoto(_ data: Data, width: Int, height: Int, fingerprint: String) async throws -> StoredPhoto {
        let sha = try photos.put(data)
        let record = StoredPhoto(sha256: sha, width: width, height: height, bytes: data.count, fingerprint: fingerprint, firstSeen: Date())
        try await db.write { db in
            try db.execute(sql: """
                INSERT OR IGNORE INTO photo (sha256, width, height, bytes, fingerprint, first_seen) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [sha, width, height, data.count, fingerprint, record.firstSeen])
        }
        return try await photo(sha) ?? record
    }

    /// Every person's photos, by person.
    public func personPhotos() async throws -> [Int64: [PersonPhoto]] {
        try await db.read { db in
            var photos: [Int64: [PersonPhoto]] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT \(Self.personPhotoColumns) FROM person_photo ORDER BY id")
            while let row = try rows.next() {
                let photo = Self.personPhoto(row)
                photos[photo.personId, default: []].append(photo)
            }
            return photos
        }
    }

    public func personPhotos(of person: Int64) async throws -> [PersonPhoto] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.personPhotoColumns) FROM person_photo WHERE person_id = ? ORDER BY id", arguments: [person]).map(Self.personPhoto)
        }
    }

    /// Every photo waiting for approval, oldest first.
    /// The queue in one read: each waiting photo with its person's label and approved photo —
    /// without reading every person and photo of the store for the few that wait.
    public func queue() async throws -> [(waiting: PersonPhoto, label: String, approved: String?)] {
        try await db.read { db in
            let columns = Self.personPhotoColumns.split(separator: ",").map { "w.\($0.trimmingCharacters(in: .whitespaces))" }.joined(separator: ", ")
            let rows = try Row.fetchCursor(db, sql: """
                SELECT \(columns), p.mail, p.user_principal_name, p.employee_id, p.account_name,
                       (SELECT a.sha256 FROM person_photo a WHERE a.person_id = w.person_id AND a.status = 'approved' LIMIT 1)
                FROM person_photo w JOIN person p ON p.id = w.person_id
                WHERE w.status = 'waiting' ORDER BY w.first_seen, w.id
                """)
            var queue: [(waiting: PersonPhoto, label: String, approved: String?)] = []
            while let row = try rows.next() {
                let photo = Self.personPhoto(row)
                queue.append((photo, Self.label(row, keysFrom: 8, id: photo.personId), row[12]))
            }
            return queue
        }
    }

    /// How many photos wait for approval.
    public func waitingCount() async throws -> Int {
        try await db.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM person_photo WHERE status = 'waiting'") ?? 0
        }
    }

    /// Makes `sha256` the person's approved photo (the one before is kept as superseded), with
    /// its audit entry.
    public func approve(_ sha256: String, source: String, firstSeen: Date, by: String, reason: String?,
                        event: PhotoEvent, action: AuditEntry.Action) async throws {
        try await db.write { db in
            try db.execute(sql: "UPDATE person_photo SET status = 'superseded' WHERE person_id = ? AND status = 'approved' AND sha256 <> ?",
                           arguments: [event.personId, sha256])
            try Self.setStatus(.approved, of: sha256, person: event.personId, source: source, firstSeen: firstSeen,
                               reason: reason, decidedBy: by, in: db)
            try Self.appendAudit(event, action: action, after: sha256, in: db)
        }
    }

    /// Replaces a kept photo's fingerprint (one taken the way older versions did).
    public func updateFingerprint(of sha256: String, to fingerprint: String) async throws {
        try await db.write { db in
            try db.execute(sql: "UPDATE photo SET fingerprint = ? WHERE sha256 = ?", arguments: [fingerprint, sha256])
        }
    }

    /// Puts `sha256` in the queue (a photo that waited before and was not decided is withdrawn).
    public func queue(_ sha256: String, source: String, firstSeen: Date, reason: String, event: PhotoEvent) async throws {
        try await db.write { db in
            try db.execute(sql: "UPDATE person_photo SET status = 'withdrawn' WHERE person_id = ? AND status = 'waiting' AND sha256 <> ?",
                           arguments: [event.personId, sha256])
            try Self.setStatus(.waiting, of: sha256, person: event.personId, source: source, firstSeen: firstSeen,
                               reason: reason, decidedBy: nil, in: db)
            try Self.appendAudit(event, action: .queued, after: sha256, in: db)
        }
    }

    /// Puts the person's last decision by a person back in the queue: a rejected photo waits
    /// again; an approved one waits again and the photo approved before it is approved once more.
    /// Returns the photo and its source, or nil when no person decided on one.
    public func reopen(event: PhotoEvent, reason: String) async throws -> (sha256: String, source: String)? {
        try await db.write { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM person_photo WHERE person_id = ? AND status = 'waiting')",
                                 arguments: [event.personId]) == true {
                throw StoreError("\(event.personLabel) has a photo waiting already: approve or reject that one first")
            }
            guard let row = try Row.fetchOne(db, sql: """
                SELECT sha256, source, status FROM person_photo
                WHERE person_id = ? AND status IN ('approved', 'rejected') AND decided_by IS NOT NULL AND decided_by <> 'sync'
                ORDER BY decided_at DESC, id DESC LIMIT 1
                """, arguments: [event.personId]) else { return nil }
            let (sha, source, status): (String, String, String) = (row[0], row[1], row[2])
            try db.execute(sql: """
                UPDATE person_photo SET status = 'waiting', reason = ?, decided_by = NULL, decided_at = NULL WHERE person_id = ? AND sha256 = ?
                """, arguments: [reason, event.personId, sha])
            if status == PersonPhoto.Status.approved.rawValue {
                try db.execute(sql: """
                    UPDATE person_photo SET status = 'approved' WHERE id = (
                        SELECT id FROM person_photo WHERE person_id = ? AND status = 'superseded' ORDER BY decided_at DESC, id DESC LIMIT 1)
                    """, arguments: [event.personId])
            }
            try Self.appendAudit(event, action: .reopened, after: sha, in: db)
            return (sha, source)
        }
    }

    /// Takes a waiting photo out of the queue: rejected by someone, or withdrawn (its source no longer shows it).
    public func closeWaiting(_ sha256: String, as status: PersonPhoto.Status, by: String?, reason: String?, event: PhotoEvent) async throws {
        try await db.write { db in
            try db.execute(sql: """
                UPDATE person_photo SET status = ?, reason = coalesce(?, reason), decided_by = ?, decided_at = ?
                WHERE person_id = ? AND sha256 = ? AND status = 'waiting'
                """, arguments: [status.rawValue, reason, by, Date(), event.personId, sha256])
            try Self.appendAudit(event, action: status == .rejected ? .rejected : .withdrawn, after: sha256, in: db)
        }
    }

    /// The approved photo, removed at its source and from every target (`delete = "propagate"`),
    /// is no longer published: kept as superseded.
    public func withdrawApproved(event: PhotoEvent) async throws {
        try await db.write { db in
            let sha = try String.fetchOne(db, sql: "SELECT sha256 FROM person_photo WHERE person_id = ? AND status = 'approved'",
                                          arguments: [event.personId])
            try db.execute(sql: "UPDATE person_photo SET status = 'superseded' WHERE person_id = ? AND status = 'approved'",
                           arguments: [event.personId])
            try Self.appendAudit(event, action: .deleted, after: nil, before: sha, in: db)
        }
    }

    /// A photo removed from a target: Portrait's record of its write there goes, with an audit entry.
    public func recordDeletion(system: String, location: String, accountId: String, event: PhotoEvent, before: String?) async throws {
        try await db.write { db in
            try db.execute(sql: "DELETE FROM photo_state WHERE system = ? AND location IN (?, '') AND account_id = ?",
                           arguments: [system, location, accountId])
            try Self.appendAudit(.init(runId: event.runId, action: .deleted, hashBefore: before, hashAfter: nil, detail: event.detail),
                                 system: system, accountId: accountId, person: event.personLabel, personId: event.personId, in: db)
        }
    }

    /// What the store last knew of each linked account in a system: the photo a sync saw there
    /// (`seen`: nil when never read; `.some(nil)` when there was none) and the photo Portrait
    /// wrote there (the master's SHA-256, or a source version for a push). With `waitingOnly`,
    /// only the accounts of people with a photo waiting for approval (the queue's).
    public func accountPhotos(system: String, waitingOnly: Bool = false) async throws -> [(personId: Int64, accountId: String, seen: String??, written: String?)] {
        try await db.read { db in
            var found: [(personId: Int64, accountId: String, seen: String??, written: String?)] = []
            let rows = try Row.fetchCursor(db, sql: """
                SELECT a.person_id, a.account_id, s.version, s.sha256, p.source_version, s.seen_at < p.written_at
                FROM account a
                LEFT JOIN seen_version s ON s.system = a.system AND s.account_id = a.account_id
                LEFT JOIN photo_state p ON p.system = a.system AND p.account_id = a.account_id
                WHERE a.system = ? AND a.person_id IS NOT NULL
                \(waitingOnly ? "AND a.person_id IN (SELECT person_id FROM person_photo WHERE status = 'waiting')" : "")
                GROUP BY a.account_id
                """, arguments: [system])
            // By position, as `personPhoto` reads.
            while let row = try rows.next() {
                // A write after the photo was last seen there (a revert, a repair) is what it shows.
                let seenVersion: String? = row[2]
                let writtenSince: Bool = row[5] ?? false
                found.append((row[0], row[1], seenVersion == nil || writtenSince ? .none : .some(row[3]), row[4]))
            }
            return found
        }
    }

    /// Every kept photo's size, by SHA-256.
    public func photoSizes() async throws -> [String: (width: Int, height: Int)] {
        try await db.read { db in
            var sizes: [String: (width: Int, height: Int)] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT sha256, width, height FROM photo")
            while let row = try rows.next() {
                sizes[row[0]] = (row[1], row[2])
            }
            return sizes
        }
    }

    // MARK: - Versions seen

    public func seenVersions(system: String, location: String) async throws -> [String: SeenVersion] {
        try await db.read { db in
            var seen: [String: SeenVersion] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT account_id, version, sha256, seen_at FROM seen_version WHERE system = ? AND location = ?",
                                           arguments: [system, location])
            while let row = try rows.next() {
                seen[row["account_id"]] = SeenVersion(version: row["version"], photo: row["sha256"], seenAt: row["seen_at"])
            }
            return seen
        }
    }

    /// Notes which photo a version is, so it is not read again.
    public func recordSeen(system: String, location: String, accountId: String, version: String, photo: String?) async throws {
        try await db.write { db in
            try db.execute(sql: """
                INSERT INTO seen_version (system, location, account_id, version, sha256, seen_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (system, location, account_id) DO UPDATE SET
                    version = excluded.version, sha256 = excluded.sha256,
                    -- When the photo there first appeared: a new version of the same photo keeps it.
                    seen_at = CASE WHEN sha256 IS excluded.sha256 THEN seen_at ELSE excluded.seen_at END
                """, arguments: [system, location, accountId, version, photo, Date()])
        }
    }

    // MARK: - Private

    /// A person's label from the mail, UPN, employee id and logon name columns at `keysFrom`
    /// onwards, read by position and not normalised again (they are stored normalised).
    private static func label(_ row: Row, keysFrom column: Int, id: Int64) -> String {
        MatchKeys(normalised: row[column], userPrincipalName: row[column + 1], employeeId: row[column + 2], accountName: row[column + 3]).label
            ?? "person \(id)"
    }

    static func keys(_ row: Row) -> MatchKeys {
        MatchKeys(mail: row["mail"], userPrincipalName: row["user_principal_name"], employeeId: row["employee_id"],
                  accountName: row["account_name"])
    }

    /// The columns `personPhoto` reads, by position: a lookup by name for every value took most
    /// of the time of reading 10,000 people's photos.
    private static let personPhotoColumns = "person_id, sha256, source, first_seen, status, reason, decided_by, decided_at"

    private static func personPhoto(_ row: Row) -> PersonPhoto {
        PersonPhoto(personId: row[0], sha256: row[1], source: row[2], firstSeen: row[3],
                    status: PersonPhoto.Status(rawValue: row[4]) ?? .withdrawn, reason: row[5], decidedBy: row[6], decidedAt: row[7])
    }

    private static func setStatus(_ status: PersonPhoto.Status, of sha256: String, person: Int64, source: String, firstSeen: Date,
                                  reason: String?, decidedBy: String?, in db: Database) throws {
        try db.execute(sql: """
            INSERT INTO person_photo (person_id, sha256, source, first_seen, status, reason, decided_by, decided_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (person_id, sha256) DO UPDATE SET status = excluded.status, reason = excluded.reason,
                decided_by = excluded.decided_by, decided_at = excluded.decided_at
            """, arguments: [person, sha256, source, firstSeen, status.rawValue, reason, decidedBy, decidedBy == nil ? nil : Date()])
    }

    private static func appendAudit(_ event: PhotoEvent, action: AuditEntry.Action, after: String?, before: String? = nil, in db: Database) throws {
        try appendAudit(.init(runId: event.runId, action: action, hashBefore: before, hashAfter: after, detail: event.detail),
                        system: event.system, accountId: event.accountId, person: event.personLabel, personId: event.personId, in: db)
    }
}
