import CLDAP
import Foundation
import Logging
import PortraitCore

/// Active Directory (or another LDAP directory with AD's attributes) over LDAP: photos in
/// `thumbnailPhoto` (and `jpegPhoto`), people found by a filter under a base DN.
///
/// An entry's `uSNChanged` is its photo version, and a listing remembers the server's
/// `highestCommittedUSN`, so the next one asks only for entries changed since: an unchanged
/// directory is checked with two operations, whatever its size. Calls go through a few bound
/// connections, each on a thread of its own.
public final class LDAPSystem: PhotoWriting, IncrementalListing, WriteAccessChecking {
    public let name: String
    public let settings: LDAPSettings
    public let capabilities: Capabilities
    private let pool: LDAPPool
    private let logger: Logger

    /// What every listing reads of an entry.
    private static let listed = ["objectGUID", "uSNChanged", "mail", "userPrincipalName", "employeeID", "sAMAccountName"]
    private static let withPhoto = "(|(thumbnailPhoto=*)(jpegPhoto=*))"

    public init(name: String, settings: LDAPSettings) {
        self.name = name
        self.settings = settings
        capabilities = Capabilities(renditions: [settings.thumbnail] + (settings.jpegPhoto.map { [$0] } ?? []),
                                    matching: settings.match.rules, listsPhotoVersions: true, versionsTrackEntry: true,
                                    concurrency: settings.connections)
        pool = LDAPPool(endpoint: settings.endpoint, size: settings.connections, name: name)
        // libldap writes to sockets without MSG_NOSIGNAL: a server that goes away mid-write
        // must be an error for that write, not SIGPIPE ending the run.
        signal(SIGPIPE, SIG_IGN)
        logger = Logger(label: "portrait.\(name)")
    }

    /// The directory written to: its base DN (any of the domain's controllers serves it).
    public var location: String { "ldap:\(settings.baseDN.lowercased())" }

    // MARK: - PhotoSystem

    /// Binds and reads the base DN.
    public func check() async throws {
        _ = try await rootDSE()
        try await search(base: settings.baseDN, scope: .base, filter: "(objectClass=*)", attributes: ["objectClass"], failure: listingFailure) { _ in }
    }

    public func listPeople() -> AsyncThrowingStream<PeoplePage, any Error> {
        listing(memory: nil)
    }

    public func listPeople(memory: any ListingMemory) -> AsyncThrowingStream<PeoplePage, any Error> {
        listing(memory: memory)
    }

    /// `thumbnailPhoto`, what AD's own tools change and Outlook shows; `jpegPhoto` only when
    /// there is no thumbnail (a stale jpegPhoto must not hide a thumbnail someone changed).
    public func readPhoto(of account: Account) async throws -> Photo? {
        var found: LDAPEntry?
        try await search(base: ObjectGUID.dn(account.id), scope: .base, filter: "(objectClass=*)",
                         attributes: ["jpegPhoto", "thumbnailPhoto", "uSNChanged"],
                         failure: { self.entryFailure($0, "read the photo of", account) }) { found = $0.first }
        guard let entry = found, let bytes = entry.first("thumbnailPhoto") ?? entry.first("jpegPhoto") else { return nil }
        return Photo(bytes: bytes, version: entry.text("uSNChanged"), origin: "\(name) photo of \(account.label)")
    }

    // MARK: - PhotoWriting

    public func newAccount(for keys: MatchKeys) -> Account? { nil }

    /// Replaces `thumbnailPhoto` (and `jpegPhoto`), then reads the entry's new `uSNChanged`.
    public func writePhoto(_ renditions: [Rendition], for account: Account) async throws -> String? {
        guard let thumbnail = renditions.first else { return nil }
        guard thumbnail.bytes.count <= LDAPSettings.thumbnailLimit else {
            throw SystemError(.rejected, "\(name): photo too large for thumbnailPhoto (\(thumbnail.bytes.count.formatted()) bytes > 102,400); lower `max_bytes`")
        }
        var changes = [(attribute: "thumbnailPhoto", values: [thumbnail.bytes])]
        if settings.jpegPhoto != nil, renditions.count > 1 { changes.append(("jpegPhoto", [renditions[1].bytes])) }
        let action = changes.count > 1 ? "write thumbnailPhoto and jpegPhoto" : "write thumbnailPhoto"
        try await modify(account, changes, action: action, bytes: thumbnail.bytes.count)
        return try await entryVersion(account)
    }

    /// Removes both photo attributes.
    public func deletePhoto(of account: Account) async throws {
        try await modify(account, [("thumbnailPhoto", []), ("jpegPhoto", [])], action: "delete thumbnailPhoto", bytes: nil)
    }

    // MARK: - WriteAccessChecking

    /// Reads `allowedAttributesEffective` on one entry: AD lists there the attributes the bind
    /// account may write (none listed: it may write none). The bind account's own entry is passed
    /// over, since people may change their own photo. Nil when it may write the photo attributes.
    public func writeAccessProblem() async throws -> String? {
        let bindAccount = settings.endpoint.bindDN.lowercased()
        var found: LDAPEntry?
        try await search(base: settings.baseDN, scope: .subtree, filter: settings.filter,
                         attributes: ["allowedAttributesEffective", "userPrincipalName"], sizeLimit: 2, failure: listingFailure) { page in
            found = found ?? page.first { $0.dn.lowercased() != bindAccount && $0.text("userPrincipalName")?.lowercased() != bindAccount }
        }
        guard let entry = found else { return nil }
        let names = Set((entry.values["allowedattributeseffective"] ?? []).compactMap { String(data: $0, encoding: .utf8)?.lowercased() })
        let wanted = ["thumbnailPhoto"] + (settings.jpegPhoto == nil ? [] : ["jpegPhoto"])
        let missing = wanted.filter { !names.contains($0.lowercased()) }
        guard !missing.isEmpty else { return nil }
        return "\(name): \(settings.endpoint.bindDN) may not write \(missing.joined(separator: " or ")) on \(entry.dn); delegate 'Write \(missing[0])' on the OU to it"
    }

    // MARK: - Listing

    private struct RootDSE {
        var highestUSN: Int64
        /// The domain controller answering: USNs are its own.
        var server: String
        var namingContext: String
    }

    private func rootDSE() async throws -> RootDSE {
        let endpoint = settings.endpoint
        let entry: LDAPEntry
        do {
            entry = try await pool.perform { connection in
                var found: LDAPEntry?
                try connection.search(base: "", scope: .base, filter: "(objectClass=*)",
                                      attributes: ["highestCommittedUSN", "dsServiceName", "defaultNamingContext"]) { found = $0.first }
                return found ?? LDAPEntry(dn: "", values: [:])
            }
        } catch let failure as LDAPFailure {
            let certificate = failure.connectionLost ? await pool.certificateRefused() : false
            throw LDAPError.connecting(failure, system: name, endpoint: endpoint, certificateRefused: certificate)
        }
        return RootDSE(highestUSN: entry.text("highestCommittedUSN").flatMap { Int64($0) } ?? 0,
                       server: entry.text("dsServiceName") ?? endpoint.url,
                       namingContext: entry.text("defaultNamingContext") ?? settings.baseDN)
    }

    private func listing(memory: (any ListingMemory)?) -> AsyncThrowingStream<PeoplePage, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let before = pool.operations.total
                    let root = try await rootDSE()
                    let scope = "\(root.server.lowercased())|\(settings.baseDN.lowercased())|\(settings.filter)"
                    var previous: DirectorySnapshot?
                    if let data = try await memory?.recall() {
                        previous = (try? JSONDecoder().decode(DirectorySnapshot.self, from: data)).flatMap { $0.scope == scope ? $0 : nil }
                    }
                    let snapshot: DirectorySnapshot
                    if let previous {
                        snapshot = try await changes(since: previous, root: root)
                        let accounts = snapshot.accounts
                        for start in stride(from: 0, to: accounts.count, by: settings.pageSize) {
                            continuation.yield(PeoplePage(accounts: Array(accounts[start..<min(start + settings.pageSize, accounts.count)])))
                        }
                    } else {
                        snapshot = try await everything(root: root, scope: scope) { continuation.yield(PeoplePage(accounts: $0)) }
                    }
                    let operations = pool.operations.total - before
                    logger.info("\(name): listed \(snapshot.entries.count) entries \(previous.map { "(changes since USN \($0.highestUSN))" } ?? "(all)") in \(operations) LDAP operation\(operations == 1 ? "" : "s")")
                    if let memory, snapshot != previous { try await memory.remember(try JSONEncoder().encode(snapshot)) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Every entry under the base, a page at a time as the server sends them.
    private func everything(root: RootDSE, scope: String, onPage: @escaping @Sendable ([Account]) -> Void) async throws -> DirectorySnapshot {
        let photos = try await guids(filter: "(&\(settings.filter)\(Self.withPhoto))", base: settings.baseDN)
        let entries = try await entries(filter: settings.filter, photos: photos) { page in
            onPage(page.map { $0.value.account(guid: $0.key) })
        }
        return DirectorySnapshot(scope: scope, highestUSN: root.highestUSN, entries: entries)
    }

    /// The snapshot brought up to date: entries in scope changed since it was made, and those
    /// changed anywhere in the domain (deleted objects included), to drop the ones that left.
    private func changes(since previous: DirectorySnapshot, root: RootDSE) async throws -> DirectorySnapshot {
        guard root.highestUSN != previous.highestUSN else { return previous }
        let changed = "(uSNChanged>=\(previous.highestUSN + 1))"
        let photos = try await guids(filter: "(&\(settings.filter)\(changed)\(Self.withPhoto))", base: settings.baseDN)
        let entries = try await entries(filter: "(&\(settings.filter)\(changed))", photos: photos) { _ in }
        let domain = settings.baseDN.lowercased().hasSuffix(root.namingContext.lowercased()) ? root.namingContext : settings.baseDN
        let anywhere = try await guids(filter: changed, base: domain, showDeleted: true)
        return previous.updated(changed: entries, changedAnywhere: anywhere, highestUSN: root.highestUSN)
    }

    /// The entries a filter finds under the base, by GUID; `photos` are the GUIDs with a photo.
    private func entries(filter: String, photos: Set<String>,
                         onPage: @escaping @Sendable ([String: DirectorySnapshot.Entry]) -> Void) async throws -> [String: DirectorySnapshot.Entry] {
        var all: [String: DirectorySnapshot.Entry] = [:]
        try await search(base: settings.baseDN, scope: .subtree, filter: filter, attributes: Self.listed, paged: true,
                         failure: listingFailure) { page in
            var entries: [String: DirectorySnapshot.Entry] = [:]
            for entry in page {
                guard let guid = entry.first("objectGUID").flatMap(ObjectGUID.string) else { continue }
                entries[guid] = DirectorySnapshot.Entry(
                    mail: entry.text("mail"), upn: entry.text("userPrincipalName"), employeeId: entry.text("employeeID"),
                    accountName: entry.text("sAMAccountName"), usn: entry.text("uSNChanged") ?? "", hasPhoto: photos.contains(guid))
            }
            all.merge(entries) { $1 }
            onPage(entries)
        }
        return all
    }

    private func guids(filter: String, base: String, showDeleted: Bool = false) async throws -> Set<String> {
        var found: Set<String> = []
        try await search(base: base, scope: .subtree, filter: filter, attributes: ["objectGUID"], paged: true,
                         showDeleted: showDeleted, failure: listingFailure) { page in
            found.formUnion(page.compactMap { $0.first("objectGUID").flatMap(ObjectGUID.string) })
        }
        return found
    }

    // MARK: - Operations

    /// A search on a pooled connection; `onPage` runs on the connection's thread, one page at a
    /// time. A paged search is retried after a dropped connection only if no page arrived yet.
    private func search(base: String, scope: LDAPConnection.Scope, filter: String, attributes: [String], paged: Bool = false,
                        sizeLimit: Int32 = 0, showDeleted: Bool = false, failure: @escaping (LDAPFailure) -> SystemError,
                        onPage: @escaping ([LDAPEntry]) -> Void) async throws {
        let pageSize = paged ? settings.pageSize : nil
        let pages = PageSink(onPage)
        do {
            try await pool.perform(retry: true) { connection in
                try pages.begin()
                try connection.search(base: base, scope: scope, filter: filter, attributes: attributes, pageSize: pageSize,
                                      sizeLimit: sizeLimit, showDeleted: showDeleted) { try pages.deliver($0) }
            }
        } catch let error as LDAPFailure {
            throw failure(error)
        }
    }

    private func modify(_ account: Account, _ changes: [(attribute: String, values: [Data])], action: String, bytes: Int?) async throws {
        let dn = ObjectGUID.dn(account.id)
        let sendable = changes.map { Change(attribute: $0.attribute, values: $0.values) }
        do {
            try await pool.perform { connection in
                try connection.replace(dn: dn, sendable.map { ($0.attribute, $0.values) })
            }
        } catch let failure as LDAPFailure {
            throw LDAPError.operation(failure, system: name, action: action, dn: account.label, bytes: bytes)
        }
    }

    private func entryVersion(_ account: Account) async throws -> String? {
        var found: LDAPEntry?
        try await search(base: ObjectGUID.dn(account.id), scope: .base, filter: "(objectClass=*)", attributes: ["uSNChanged"],
                         failure: { self.entryFailure($0, "read uSNChanged of", account) }) { found = $0.first }
        return found?.text("uSNChanged")
    }

    private func listingFailure(_ failure: LDAPFailure) -> SystemError {
        failure.connectionLost ? LDAPError.connecting(failure, system: name, endpoint: settings.endpoint)
            : LDAPError.listing(failure, system: name, settings: settings)
    }

    private func entryFailure(_ failure: LDAPFailure, _ action: String, _ account: Account) -> SystemError {
        failure.connectionLost ? LDAPError.connecting(failure, system: name, endpoint: settings.endpoint)
            : LDAPError.operation(failure, system: name, action: "\(action) \(account.label)", dn: account.label)
    }
}

/// One attribute's new values, carried to a connection's thread.
private struct Change: Sendable {
    var attribute: String
    var values: [Data]
}

/// Hands a search's pages to the caller's closure (one at a time, on the connection's thread, while
/// the caller waits), and refuses a retry once pages were delivered: they would arrive twice.
private final class PageSink: @unchecked Sendable {
    private let onPage: ([LDAPEntry]) -> Void
    private var delivered = false

    init(_ onPage: @escaping ([LDAPEntry]) -> Void) { self.onPage = onPage }

    func begin() throws {
        if delivered { throw LDAPFailure(code: LDAP_SERVER_DOWN, diagnostic: "the connection dropped during a paged search") }
    }

    func deliver(_ page: [LDAPEntry]) throws {
        delivered = true
        onPage(page)
    }
}
