import Foundation
import GRDB
import PortraitCore

/// Portrait's memory between runs, in SQLite: who is who across systems, what was last written
/// where, the runs, an append-only audit log and the console's accounts and sessions. Never holds
/// secrets or photos (a console password only as its bcrypt hash, a session only as its token's
/// SHA-256).
public final class Store: Sendable {
    let db: any DatabaseWriter
    /// The approved photos' masters, beside the database.
    public let photos: PhotoLibrary

    /// Opens (creating if needed) the database at `path`, in WAL mode, migrated to this version.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        // A new store is for the account Portrait runs as alone, whatever its umask: it holds
        // console password hashes and who approved what. SQLite gives its -wal and -shm files the
        // database file's permissions.
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        do {
            db = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw StoreError("cannot open the store \(path): \(error.localizedDescription); check the [store] path and its folder's permissions")
        }
        photos = PhotoLibrary(folder: PhotoLibrary.folder(beside: path))
        try Self.migrator.migrate(db)
    }

    /// A store that forgets everything when the process ends: dry runs use it.
    public init(inMemoryCopyOf path: String?) throws {
        let memory = try DatabaseQueue()
        if let path, FileManager.default.fileExists(atPath: path) {
            let disk = try DatabaseQueue(path: path, configuration: {
                var readOnly = Configuration()
                readOnly.readonly = true
                return readOnly
            }())
            try disk.backup(to: memory)
        }
        db = memory
        photos = PhotoLibrary(folder: path.map(PhotoLibrary.folder(beside:)), inMemory: true)
        try Self.migrator.migrate(db)
    }

    // MARK: - Runs

    public func beginRun(command: String, source: String, targets: [String], dryRun: Bool) async throws -> Int64 {
        try await db.write { db in
            try db.execute(
                sql: "INSERT INTO run (command, source, targets, dry_run, started_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [command, source, targets.joined(separator: ","), dryRun, Date()])
            return db.lastInsertedRowID
        }
    }

    public func finishRun(_ id: Int64, outcome: String, summary: String) async throws {
        try await db.write { db in
            try db.execute(
                sql: "UPDATE run SET finished_at = ?, outcome = ?, summary = ? WHERE id = ?",
                arguments: [Date(), outcome, summary, id])
        }
    }

    /// Runs that never finished were stopped by a kill or a crash: say so, once the run lock
    /// shows no process holds them any more.
    public func closeAbandonedRuns() async throws {
        try await db.write { db in
            try db.execute(sql: "UPDATE run SET outcome = 'killed', summary = 'stopped without finishing (killed or crashed)' WHERE outcome IS NULL")
        }
    }

    /// The newest runs first.
    public func runs(limit: Int = 20) async throws -> [RunRecord] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM run ORDER BY id DESC LIMIT ?", arguments: [limit]).map(RunRecord.init)
        }
    }

    /// The last run of `command` that ended (with `outcome`, when given), however long ago.
    public func lastFinishedRun(command: String, outcome: String? = nil) async throws -> RunRecord? {
        try await db.read { db in
            try Row.fetchOne(db, sql: """
                SELECT * FROM run WHERE command = ?1 AND finished_at IS NOT NULL AND (?2 IS NULL OR outcome = ?2)
                ORDER BY id DESC LIMIT 1
                """, arguments: [command, outcome]).map(RunRecord.init)
        }
    }

    /// Whether a sync that read `source` has ended (not a dry run, not stopped or killed).
    public func hasFinishedSync(reading source: String) async throws -> Bool {
        try await db.read { db in
            try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM run WHERE command = 'sync' AND dry_run = 0 AND outcome IN ('ok', 'partial')
                               AND ',' || source || ',' LIKE '%,' || ? || ',%')
                """, arguments: [source]) ?? false
        }
    }

    public func run(_ id: Int64) async throws -> RunRecord? {
        try await db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM run WHERE id = ?", arguments: [id]).map(RunRecord.init)
        }
    }

    // MARK: - What was written where

    /// Everything last written to a system where it points now, by account id — without the
    /// fingerprints (2 KB each, needed only where a version moved: `writtenFingerprint`). Writes
    /// recorded before locations were (store v1, location '') count for any location, until rewritten.
    public func writtenStates(system: String, location: String) async throws -> [String: WrittenState] {
        try await db.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT account_id, rendition_sha256, profile, source_version, remote_version, copy_sha256, written_at
                FROM photo_state WHERE system = ? AND location IN (?, '') ORDER BY location <> ''
                """, arguments: [system, location])
            var states: [String: WrittenState] = [:]
            while let row = try rows.next() {
                states[row["account_id"]] = WrittenState(
                    renditionSHA256: row["rendition_sha256"],
                    fingerprint: nil,
                    profile: row["profile"],
                    sourceVersion: row["source_version"],
                    remoteVersion: row["remote_version"],
                    copySHA256: row["copy_sha256"],
                    writtenAt: row["written_at"])
            }
            return states
        }
    }

    /// The fingerprint of what was last written to one account.
    public func writtenFingerprint(system: String, location: String, accountId: String) async throws -> String? {
        try await db.read { db in
            try String.fetchOne(db, sql: """
                SELECT fingerprint FROM photo_state WHERE system = ? AND location IN (?, '') AND account_id = ? ORDER BY location <> '' DESC LIMIT 1
                """, arguments: [system, location, accountId])
        }
    }

    /// Records a photo written to a system, with its audit entry, in one transaction: a crash
    /// leaves either both or neither, so a resumed run knows exactly what is done.
    public func recordWrite(_ write: PhotoWrite) async throws {
        try await db.write { db in
            let linked = try Int64.fetchOne(db, sql: "SELECT person_id FROM account WHERE system = ? AND account_id = ?",
                                            arguments: [write.system, write.account.id])
            let personId = try write.personId ?? linked ?? Self.upsertPerson(write.person, in: db)
            try Self.upsertAccount(write.account, system: write.system, personId: personId, in: db)
            try db.execute(sql: """
                INSERT INTO photo_state (system, account_id, person_id, rendition_sha256, fingerprint, profile,
                                         source_version, remote_version, copy_sha256, written_at, location)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (system, location, account_id) DO UPDATE SET
                    person_id = excluded.person_id, rendition_sha256 = excluded.rendition_sha256,
                    fingerprint = excluded.fingerprint, profile = excluded.profile,
                    source_version = excluded.source_version, remote_version = excluded.remote_version,
                    copy_sha256 = excluded.copy_sha256, written_at = excluded.written_at
                """, arguments: [write.system, write.account.id, personId, write.state.renditionSHA256,
                                 write.state.fingerprint, write.state.profile, write.state.sourceVersion,
                                 write.state.remoteVersion, write.state.copySHA256, write.state.writtenAt, write.location])
            try Self.appendAudit(write.audit, system: write.system, accountId: write.account.id, person: write.account.label,
                                 personId: personId, in: db)
            // A store-v1 record of the same account is superseded, and the write no longer pending.
            try db.execute(sql: "DELETE FROM photo_state WHERE system = ? AND location = '' AND account_id = ?",
                           arguments: [write.system, write.account.id])
            try db.execute(sql: "DELETE FROM pending_write WHERE system = ? AND location = ? AND account_id = ?",
                           arguments: [write.system, write.location, write.account.id])
        }
    }

    /// Notes a write about to be sent. Until `recordWrite` clears it, a later run finding the
    /// written image in the target takes it as done instead of sending it again (the process
    /// may die between the service's answer and the record).
    public func recordPendingWrite(system: String, location: String, accountId: String, state: WrittenState) async throws {
        try await db.write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO pending_write (system, account_id, location, rendition_sha256, fingerprint, profile,
                                                      source_version, started_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [system, accountId, location, state.renditionSHA256, state.fingerprint, state.profile,
                                 state.sourceVersion, state.writtenAt])
        }
    }

    /// Writes sent but never recorded, for a system where it points now, by account id.
    public func pendingWrites(system: String, location: String) async throws -> [String: WrittenState] {
        try await db.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT account_id, rendition_sha256, fingerprint, profile, source_version, started_at
                FROM pending_write WHERE system = ? AND location = ?
                """, arguments: [system, location])
            return Dictionary(rows.map { row in
                (row["account_id"], WrittenState(renditionSHA256: row["rendition_sha256"], fingerprint: row["fingerprint"],
                                                 profile: row["profile"], sourceVersion: row["source_version"],
                                                 remoteVersion: nil, writtenAt: row["started_at"]))
            }, uniquingKeysWith: { $1 })
        }
    }

    /// Notes the source version a write stands for: a newer version of the same photo (a touched
    /// file), so the next run can skip it without decoding; or, for a push's write, the photo
    /// sync knows it by.
    public func recordSourceVersion(system: String, location: String, accountId: String, sourceVersion: String?) async throws {
        try await update("source_version", to: sourceVersion, system: system, location: location, accountId: accountId)
    }

    /// Notes the target's photo version and the SHA-256 of its copy for Portrait's last write,
    /// once a later run has seen that the photo there is the one written (a write's reply need not
    /// tell its version, and a service keeps its own copy): the next run needs no download.
    public func recordConfirmedCopy(system: String, location: String, accountId: String, remoteVersion: String?,
                                    copySHA256: String) async throws {
        try await db.write { db in
            try db.execute(sql: """
                UPDATE photo_state SET remote_version = ?, copy_sha256 = ? WHERE system = ? AND location IN (?, '') AND account_id = ?
                """, arguments: [remoteVersion, copySHA256, system, location, accountId])
        }
    }

    /// Sets one column of what was written to an account (a store-v1 record counting too).
    private func update(_ column: String, to value: String?, system: String, location: String, accountId: String) async throws {
        try await db.write { db in
            try db.execute(
                sql: "UPDATE photo_state SET \(column) = ? WHERE system = ? AND location IN (?, '') AND account_id = ?",
                arguments: [value, system, location, accountId])
        }
    }

    // MARK: - Listings

    /// Where a system keeps what it listed, to list only what changed next time.
    public func listingMemory(system: String, location: String) -> any ListingMemory {
        StoredListing(db: db, system: system, location: location)
    }

    // MARK: - Audit

    /// The audit log, oldest first: all of it, one run's, or one person's.
    public func auditEntries(run: Int64? = nil, person: Int64? = nil) async throws -> [AuditEntry] {
        try await db.read { db in
            let filter = run != nil ? "WHERE run_id = ?" : person != nil ? "WHERE person_id = ?" : ""
            let arguments: StatementArguments = run.map { [$0] } ?? person.map { [$0] } ?? []
            return try Row.fetchAll(db, sql: """
                SELECT id, at, run_id, system, account_id, person, action, hash_before, hash_after, detail
                FROM audit \(filter) ORDER BY id
                """, arguments: arguments).map { row in
                AuditEntry(id: row["id"], at: row["at"], runId: row["run_id"], system: row["system"],
                           accountId: row["account_id"], person: row["person"],
                           action: AuditEntry.Action(rawValue: row["action"]) ?? .uploaded,
                           hashBefore: row["hash_before"], hashAfter: row["hash_after"], detail: row["detail"])
            }
        }
    }

    // MARK: - Private

    private static func upsertPerson(_ keys: MatchKeys, in db: Database) throws -> Int64? {
        guard let key = personKey(keys) else { return nil }
        try db.execute(sql: """
            INSERT INTO person (key, mail, user_principal_name, employee_id, account_name) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (key) DO UPDATE SET
                mail = coalesce(excluded.mail, mail),
                user_principal_name = coalesce(excluded.user_principal_name, user_principal_name),
                employee_id = coalesce(excluded.employee_id, employee_id),
                account_name = coalesce(excluded.account_name, account_name)
            """, arguments: [key, keys.mail, keys.userPrincipalName, keys.employeeId, keys.accountName])
        return try Int64.fetchOne(db, sql: "SELECT id FROM person WHERE key = ?", arguments: [key])
    }

    /// One person across systems is found by mail first, then UPN, then employee id, then logon name.
    static func personKey(_ keys: MatchKeys) -> String? {
        if let mail = keys.mail { return "mail:\(mail)" }
        if let upn = keys.userPrincipalName { return "upn:\(upn)" }
        if let id = keys.employeeId { return "employeeId:\(id)" }
        if let name = keys.accountName { return "accountName:\(name)" }
        return nil
    }

    static func upsertAccount(_ account: Account, system: String, personId: Int64?, in db: Database) throws {
        try db.execute(sql: """
            INSERT INTO account (system, account_id, person_id, mail, user_principal_name, employee_id, account_name, seen_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (system, account_id) DO UPDATE SET
                person_id = excluded.person_id, mail = excluded.mail,
                user_principal_name = excluded.user_principal_name, employee_id = excluded.employee_id,
                account_name = excluded.account_name, seen_at = excluded.seen_at
            """, arguments: [system, account.id, personId, account.keys.mail, account.keys.userPrincipalName,
                             account.keys.employeeId, account.keys.accountName, Date()])
    }

    static func appendAudit(_ audit: PhotoWrite.Audit, system: String, accountId: String, person: String, personId: Int64?,
                            in db: Database) throws {
        try db.execute(sql: """
            INSERT INTO audit (at, run_id, system, account_id, person, action, hash_before, hash_after, detail, person_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [Date(), audit.runId, system, accountId, person, audit.action.rawValue,
                             audit.hashBefore, audit.hashAfter, audit.detail, personId])
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE person (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    key TEXT NOT NULL UNIQUE,
                    mail TEXT,
                    user_principal_name TEXT,
                    employee_id TEXT
                );
                CREATE TABLE account (
                    system TEXT NOT NULL,
                    account_id TEXT NOT NULL,
                    person_id INTEGER REFERENCES person(id),
                    mail TEXT,
                    user_principal_name TEXT,
                    employee_id TEXT,
                    seen_at DATETIME NOT NULL,
                    PRIMARY KEY (system, account_id)
                );
                CREATE TABLE photo_state (
                    system TEXT NOT NULL,
                    account_id TEXT NOT NULL,
                    person_id INTEGER REFERENCES person(id),
                    rendition_sha256 TEXT NOT NULL,
                    perceptual_hash TEXT,
                    profile TEXT NOT NULL,
                    source_version TEXT,
                    remote_version TEXT,
                    written_at DATETIME NOT NULL,
                    PRIMARY KEY (system, account_id)
                );
                CREATE TABLE run (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    command TEXT NOT NULL,
                    source TEXT NOT NULL,
                    targets TEXT NOT NULL,
                    dry_run BOOLEAN NOT NULL,
                    started_at DATETIME NOT NULL,
                    finished_at DATETIME,
                    outcome TEXT,
                    summary TEXT
                );
                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at DATETIME NOT NULL,
                    run_id INTEGER REFERENCES run(id),
                    system TEXT NOT NULL,
                    account_id TEXT NOT NULL,
                    person TEXT NOT NULL,
                    action TEXT NOT NULL,
                    hash_before TEXT,
                    hash_after TEXT,
                    detail TEXT
                );
                CREATE INDEX audit_by_run ON audit(run_id);
                -- The audit log is append-only.
                CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
                    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
                """)
        }
        migrator.registerMigration("v2") { db in
            // What was written is kept per place a system points at (a folder's path, a tenant;
            // '' for records from before), and writes sent but not yet recorded.
            try db.execute(sql: """
                CREATE TABLE photo_state_v2 (
                    system TEXT NOT NULL,
                    location TEXT NOT NULL,
                    account_id TEXT NOT NULL,
                    person_id INTEGER REFERENCES person(id),
                    rendition_sha256 TEXT NOT NULL,
                    perceptual_hash TEXT,
                    profile TEXT NOT NULL,
                    source_version TEXT,
                    remote_version TEXT,
                    written_at DATETIME NOT NULL,
                    PRIMARY KEY (system, location, account_id)
                );
                INSERT INTO photo_state_v2 (system, location, account_id, person_id, rendition_sha256, perceptual_hash,
                                            profile, source_version, remote_version, written_at)
                    SELECT system, '', account_id, person_id, rendition_sha256, perceptual_hash, profile, source_version,
                           remote_version, written_at FROM photo_state;
                DROP TABLE photo_state;
                ALTER TABLE photo_state_v2 RENAME TO photo_state;
                CREATE TABLE pending_write (
                    system TEXT NOT NULL,
                    account_id TEXT NOT NULL,
                    location TEXT NOT NULL,
                    rendition_sha256 TEXT NOT NULL,
                    fingerprint TEXT,
                    profile TEXT NOT NULL,
                    source_version TEXT,
                    started_at DATETIME NOT NULL,
                    PRIMARY KEY (system, location, account_id)
                );
                """)
        }
        migrator.registerMigration("v3") { db in
            // Logon names (AD's sAMAccountName) as a key, and what a system keeps between
            // listings to list only what changed (a directory's change counter and entries).
            try db.execute(sql: """
                ALTER TABLE person ADD COLUMN account_name TEXT;
                ALTER TABLE account ADD COLUMN account_name TEXT;
                CREATE TABLE listing_memory (
                    system TEXT NOT NULL,
                    location TEXT NOT NULL,
                    data BLOB NOT NULL,
                    saved_at DATETIME NOT NULL,
                    PRIMARY KEY (system, location)
                );
                """)
        }
        migrator.registerMigration("v4") { db in
            // The sync engine: photos by their master's SHA-256 (the files are beside the
            // database), each person's photos with their standing (approved, waiting, rejected…),
            // the version each system last showed, and audit entries tied to a person.
            try db.execute(sql: """
                CREATE TABLE photo (
                    sha256 TEXT PRIMARY KEY,
                    width INTEGER NOT NULL,
                    height INTEGER NOT NULL,
                    bytes INTEGER NOT NULL,
                    fingerprint TEXT NOT NULL,
                    first_seen DATETIME NOT NULL
                );
                CREATE TABLE person_photo (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    person_id INTEGER NOT NULL REFERENCES person(id),
                    sha256 TEXT NOT NULL REFERENCES photo(sha256),
                    source TEXT NOT NULL,
                    first_seen DATETIME NOT NULL,
                    status TEXT NOT NULL,
                    reason TEXT,
                    decided_by TEXT,
                    decided_at DATETIME,
                    UNIQUE (person_id, sha256)
                );
                CREATE UNIQUE INDEX one_approved_photo ON person_photo(person_id) WHERE status = 'approved';
                CREATE UNIQUE INDEX one_waiting_photo ON person_photo(person_id) WHERE status = 'waiting';
                CREATE TABLE seen_version (
                    system TEXT NOT NULL,
                    location TEXT NOT NULL,
                    account_id TEXT NOT NULL,
                    version TEXT NOT NULL,
                    sha256 TEXT,
                    seen_at DATETIME NOT NULL,
                    PRIMARY KEY (system, location, account_id)
                );
                ALTER TABLE audit ADD COLUMN person_id INTEGER;
                CREATE INDEX audit_by_person ON audit(person_id);
                CREATE INDEX account_by_person ON account(person_id);
                """)
        }
        migrator.registerMigration("v5") { db in
            // The console: its local accounts (bcrypt hashes, never passwords) and its sessions,
            // kept by the SHA-256 of the cookie's token, so that the database alone opens none.
            try db.execute(sql: """
                CREATE TABLE console_user (
                    name TEXT PRIMARY KEY COLLATE NOCASE,
                    password_hash TEXT NOT NULL,
                    role TEXT NOT NULL,
                    created_at DATETIME NOT NULL
                );
                CREATE TABLE console_session (
                    token_sha256 TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    role TEXT NOT NULL,
                    created_at DATETIME NOT NULL,
                    last_seen DATETIME NOT NULL
                );
                """)
        }
        migrator.registerMigration("v6") { db in
            // What each account shows (status, the console's coverage) joins these on system and
            // account, whatever the location: without these a 10,000-person status took minutes.
            try db.execute(sql: """
                CREATE INDEX seen_by_account ON seen_version(system, account_id);
                CREATE INDEX written_by_account ON photo_state(system, account_id);
                """)
        }
        migrator.registerMigration("v7") { db in
            // What was written is recognised by its bytes, then by a fingerprint of the encoded
            // rendition (the perceptual hashes kept before are not trusted: dropped, so the next
            // run confirms each write once by its image); a service's copy, once confirmed, by its
            // SHA-256.
            try db.execute(sql: """
                ALTER TABLE photo_state RENAME COLUMN perceptual_hash TO fingerprint;
                UPDATE photo_state SET fingerprint = NULL;
                UPDATE pending_write SET fingerprint = NULL;
                ALTER TABLE photo_state ADD COLUMN copy_sha256 TEXT;
                """)
        }
        return migrator
    }
}

/// What Portrait last wrote to one account.
public struct WrittenState: Sendable, Equatable {
    public var renditionSHA256: String
    /// The written rendition's `Fingerprint` (its text form): recognises it after a service re-encodes it.
    public var fingerprint: String?
    /// The profiles it was rendered with (`RenditionProfile.description`, joined).
    public var profile: String
    /// The source photo's version it was made from.
    public var sourceVersion: String?
    /// The version the target reported right after the write, or showed when a later run
    /// confirmed the write.
    public var remoteVersion: String?
    /// The SHA-256 of the service's copy of the write, once a later run confirmed it.
    public var copySHA256: String?
    public var writtenAt: Date

    public init(renditionSHA256: String, fingerprint: String?, profile: String, sourceVersion: String?,
                remoteVersion: String?, copySHA256: String? = nil, writtenAt: Date) {
        self.renditionSHA256 = renditionSHA256
        self.fingerprint = fingerprint
        self.profile = profile
        self.sourceVersion = sourceVersion
        self.remoteVersion = remoteVersion
        self.copySHA256 = copySHA256
        self.writtenAt = writtenAt
    }
}

/// One photo written, as the store records it.
public struct PhotoWrite: Sendable {
    public struct Audit: Sendable {
        /// nil for a decision made outside a run (`approve`, `reject`).
        public var runId: Int64?
        public var action: AuditEntry.Action
        public var hashBefore: String?
        public var hashAfter: String?
        public var detail: String?

        public init(runId: Int64?, action: AuditEntry.Action, hashBefore: String?, hashAfter: String?, detail: String?) {
            self.runId = runId
            self.action = action
            self.hashBefore = hashBefore
            self.hashAfter = hashAfter
            self.detail = detail
        }
    }

    public var system: String
    /// Where the system pointed (`PhotoSystem.location`).
    public var location: String
    public var account: Account
    /// The person as the source knows them.
    public var person: MatchKeys
    /// The person's id, when the sync engine has joined them (push finds them by `person`).
    public var personId: Int64?
    public var state: WrittenState
    public var audit: Audit

    public init(system: String, location: String, account: Account, person: MatchKeys, personId: Int64? = nil,
                state: WrittenState, audit: Audit) {
        self.system = system
        self.location = location
        self.account = account
        self.person = person
        self.personId = personId
        self.state = state
        self.audit = audit
    }
}

public struct AuditEntry: Sendable {
    public enum Action: String, Sendable {
        /// A photo where Portrait had written none before.
        case uploaded
        /// Portrait's earlier photo replaced by a new one.
        case updated
        /// A photo someone else changed since Portrait's last write, overwritten from the source.
        case replaced
        /// A photo someone deleted since Portrait's last write, put back.
        case restored
        case deleted
        /// A photo to wait for approval (sync), and what became of it.
        case queued
        case approved
        case rejected
        /// A waiting photo its source no longer shows.
        case withdrawn
        /// A decision undone: the photo waits again.
        case reopened
        /// A photo made the approved one, or taken as shown where it was made.
        case published
    }

    public var id: Int64
    public var at: Date
    public var runId: Int64?
    public var system: String
    public var accountId: String
    public var person: String
    public var action: Action
    public var hashBefore: String?
    public var hashAfter: String?
    public var detail: String?
}

/// One run as the store keeps it.
public struct RunRecord: Sendable {
    public var id: Int64
    public var command: String
    public var source: String
    public var targets: [String]
    public var startedAt: Date
    public var finishedAt: Date?
    /// `ok`, `partial`, `failed`, `interrupted`, `killed`; nil while it runs.
    public var outcome: String?
    public var summary: String?

    init(_ row: Row) {
        id = row["id"]
        command = row["command"]
        source = row["source"]
        targets = (row["targets"] as String).split(separator: ",").map(String.init)
        startedAt = row["started_at"]
        finishedAt = row["finished_at"]
        outcome = row["outcome"]
        summary = row["summary"]
    }
}

public struct StoreError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// A system's listing memory: one row of `listing_memory`.
private struct StoredListing: ListingMemory {
    let db: any DatabaseWriter
    let system: String
    let location: String

    func recall() async throws -> Data? {
        try await db.read { db in
            try Data.fetchOne(db, sql: "SELECT data FROM listing_memory WHERE system = ? AND location = ?",
                              arguments: [system, location])
        }
    }

    func remember(_ data: Data) async throws {
        try await db.write { db in
            try db.execute(sql: """
                INSERT INTO listing_memory (system, location, data, saved_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (system, location) DO UPDATE SET data = excluded.data, saved_at = excluded.saved_at
                """, arguments: [system, location, data, Date()])
        }
    }
}
