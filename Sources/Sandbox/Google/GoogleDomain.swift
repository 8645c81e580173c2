import Foundation
import PortraitCore

/// Everything the emulated Google Workspace domain remembers: users, photos (an admin's upload
/// and a user's own), the per-admin quota; tokens, penalties, faults and counters are kept by its
/// `ServiceGate`.
actor GoogleDomain {
    struct User: Sendable {
        let id: String
        let primaryEmail: String
        let employeeId: String?
        let isAdmin: Bool
        let suspended: Bool
    }

    struct StoredPhoto: Sendable {
        var bytes: Data
        var etag: String
        /// How Google's copy is to be made from `bytes`, still the upload; nil once they are the copy.
        var pending: CopyBehaviour?
        /// Whether the version has moved for the copy (`SandboxOptions.copiesMoveVersion`).
        var settled = false
    }

    enum Admission: Sendable {
        case admitted(ServiceGate.Grant, fault: ServiceGate.Fault?)
        case refused(SandboxResponse)
    }

    /// Latency and limits may be changed while it runs (`Sandbox.setConditions`).
    private(set) var options: SandboxOptions
    let users: [User]
    private let byKey: [String: Int]
    private var adminPhotos: [Int: StoredPhoto] = [:]
    private var ownPhotos: [Int: StoredPhoto] = [:]
    /// Users whose seeded photo is still to be drawn (made on first read), with its etag.
    private var seeded: [Int: String] = [:]
    /// Each admin's limits.
    private var limits: [String: ServiceLimits] = [:]
    private var gate: ServiceGate
    private var etagCounter = 0

    func setConditions(latency: Duration, googleLimits: [LimitShape]) {
        options.latency = latency
        options.googleLimits = googleLimits
        limits.removeAll()
    }

    init(options: SandboxOptions) {
        self.options = options
        var users: [User] = []
        var byKey: [String: Int] = [:]
        func add(_ user: User) {
            byKey[user.id] = users.count
            byKey[user.primaryEmail.lowercased()] = users.count
            users.append(user)
        }
        for index in 0..<options.users {
            let mail = SamplePeople.mail(index, domain: options.mailDomain)
            add(User(id: Self.userId(index), primaryEmail: mail, employeeId: SamplePeople.employeeId(index), isAdmin: false,
                     suspended: options.googleSuspended.contains(mail)))
        }
        if byKey[options.googleAdmin.lowercased()] == nil {
            add(User(id: Self.userId(options.users), primaryEmail: options.googleAdmin, employeeId: nil, isAdmin: true, suspended: false))
        }
        self.users = users
        self.byKey = byKey
        var gate = ServiceGate(options: options, seed: options.seed &+ 7)
        var counter = 0
        func etag() -> String {
            counter += 1
            return Self.etag(counter, gate.next())
        }
        for index in 0..<options.users where gate.unit() < options.photoFraction {
            seeded[index] = etag()
        }
        for mail in options.googleSelfSetPhotos {
            guard let index = byKey[mail.lowercased()] else { continue }
            let bytes = (try? SeedPhotos.jpeg(seed: 20_000 + index, side: GoogleService.photoSide)) ?? Data()
            ownPhotos[index] = StoredPhoto(bytes: bytes, etag: etag())
        }
        etagCounter = counter
        self.gate = gate
    }

    var stats: SandboxStats { gate.stats }

    /// Google's user ids are 21-digit numbers.
    static func userId(_ index: Int) -> String { String(format: "1%020d", index + 1) }

    func user(_ key: String) -> Int? { byKey[key.lowercased()] }

    func isAdmin(_ subject: String) -> Bool { user(subject).map { users[$0].isAdmin } ?? false }

    // MARK: - Tokens

    func issueToken(_ request: SandboxRequest, endpoint: GoogleTokenEndpoint) -> SandboxResponse {
        gate.countTokenRequest()
        let knownUsers = byKey
        switch endpoint.verify(request, knownUser: { knownUsers[$0.lowercased()] != nil }) {
        case .refused(let response):
            return gate.count(response)
        case .granted(let subject, let scopes):
            let token = gate.issueToken(prefix: "ya29.sandbox-", subject: subject, scopes: scopes)
            return gate.count(.json(.ok, ["access_token": token, "expires_in": options.tokenLifetime, "token_type": "Bearer"]))
        }
    }

    func mintToken(subject: String, scopes: Set<String>) -> String {
        gate.issueToken(prefix: "ya29.sandbox-", subject: subject.lowercased(), scopes: scopes)
    }

    // MARK: - Admission: authentication, quota, faults

    func admit(_ request: SandboxRequest, isPhoto: Bool, isWrite: Bool) -> Admission {
        let grant: ServiceGate.Grant
        switch gate.authenticate(request) {
        case .missing, .expired:
            return .refused(gate.count(.googleError(.unauthorized, reason: "authError", message: "Invalid Credentials",
                                                    status: "UNAUTHENTICATED",
                                                    top: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")))
        case .valid(let valid):
            grant = valid
        }
        let now = gate.now
        if let until = gate.penalty(request) {
            return .refused(gate.throttled(.googleError(.serviceUnavailable, reason: "backendError", message: "The service is currently unavailable.",
                                                        headers: [("Retry-After", String(gate.seconds(until: until)))]), retryAfter: nil, by: nil))
        }
        var admin = limits[grant.subject] ?? ServiceLimits(options.googleLimits)
        let refusal = admin.admit(now: now, isPhoto: isPhoto, isWrite: isWrite)
        limits[grant.subject] = admin
        if let refusal {
            return .refused(gate.throttled(Self.refusal(by: refusal), retryAfter: refusal.retryAfter, by: refusal.shape))
        }
        return .admitted(grant, fault: gate.admit())
    }

    /// Google's answer for each shape of limit.
    private static func refusal(by refusal: ServiceLimits.Refusal) -> SandboxResponse {
        let headers = refusal.retryAfter.map { [("Retry-After", String($0))] } ?? []
        switch refusal.shape.kind {
        case .window(_, let length) where length >= .seconds(60):
            let message = "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'admin.googleapis.com' for consumer 'project_number:100000000001'."
            return .googleError(.forbidden, domain: "usageLimits", reason: "userRateLimitExceeded", message: message, status: "PERMISSION_DENIED", headers: headers)
        case .window:
            return .googleError(.tooManyRequests, domain: "usageLimits", reason: "rateLimitExceeded", message: "Rate Limit Exceeded",
                                status: "RESOURCE_EXHAUSTED", headers: headers)
        case .concurrency:
            return .googleError(.forbidden, domain: "usageLimits", reason: "quotaExceeded", message: "Concurrent request limit exceeded.",
                                status: "PERMISSION_DENIED", headers: headers)
        }
    }

    func release(_ grant: ServiceGate.Grant, isPhoto: Bool, isWrite: Bool, answer: SandboxResponse) -> SandboxResponse {
        limits[grant.subject]?.release(isPhoto: isPhoto, isWrite: isWrite)
        gate.release(answer: answer)
        return gate.count(answer)
    }

    func record(_ change: @Sendable (inout SandboxStats) -> Void) { gate.record(change) }

    // MARK: - Directory and photos

    func page(from start: Int, size: Int) -> ArraySlice<User> {
        gate.record { $0.listPages += 1 }
        return users[min(start, users.count)..<min(start + size, users.count)]
    }

    /// The photo Google shows: the user's own over an admin's upload.
    func photo(of index: Int) -> StoredPhoto? {
        if let etag = seeded.removeValue(forKey: index) {
            let bytes = (try? SeedPhotos.jpeg(seed: 10_000 + index, side: GoogleService.photoSide)) ?? Data()
            adminPhotos[index] = StoredPhoto(bytes: bytes, etag: etag)
        }
        settle(index)
        return ownPhotos[index] ?? adminPhotos[index]
    }

    /// The etag the listing shows, without drawing a seeded photo.
    func photoEtag(of index: Int) -> String? {
        settle(index)
        return ownPhotos[index]?.etag ?? adminPhotos[index]?.etag ?? seeded[index]
    }

    /// An upload whose copy is still to be made has its version moved, when copies move versions.
    private func settle(_ index: Int) {
        guard options.copiesMoveVersion, let photo = adminPhotos[index], photo.pending != nil, !photo.settled else { return }
        adminPhotos[index]?.etag = nextEtag()
        adminPhotos[index]?.settled = true
    }

    /// An admin's upload; `pending` says how Google's copy is made from it (nil: it is the copy).
    /// The user's own photo, if any, still shows.
    func setPhoto(_ index: Int, bytes: Data, pending: CopyBehaviour?) -> StoredPhoto {
        seeded.removeValue(forKey: index)
        let photo = StoredPhoto(bytes: bytes, etag: nextEtag(), pending: pending)
        adminPhotos[index] = photo
        gate.record { $0.uploads += 1 }
        return ownPhotos[index] ?? photo
    }

    /// How the copy of the next upload is made: `googleCopies`, with `random` drawn now.
    func nextCopy() -> CopyBehaviour {
        options.googleCopies.resolved { gate.next() }
    }

    /// The user's own photo, set outside Portrait.
    func setOwnPhoto(_ index: Int, bytes: Data) {
        ownPhotos[index] = StoredPhoto(bytes: bytes, etag: nextEtag())
    }

    /// Keeps Google's copy of an upload, unless the photo changed meanwhile.
    func storeCopy(_ index: Int, etag: String, bytes: Data) {
        guard adminPhotos[index]?.etag == etag else { return }
        adminPhotos[index]?.bytes = bytes
        adminPhotos[index]?.pending = nil
    }

    /// Removes the photo shown, the user's own and any admin upload alike.
    func deletePhoto(_ index: Int) -> Bool {
        gate.record { $0.deletes += 1 }
        let hadSeed = seeded.removeValue(forKey: index) != nil
        let hadOwn = ownPhotos.removeValue(forKey: index) != nil
        let hadAdmin = adminPhotos.removeValue(forKey: index) != nil
        return hadSeed || hadOwn || hadAdmin
    }

    /// A new etag on every write, even of identical bytes.
    private func nextEtag() -> String {
        etagCounter += 1
        return Self.etag(etagCounter, gate.next())
    }

    private static func etag(_ counter: Int, _ random: UInt64) -> String {
        "\"\(Base64URL.encode(Data(String(format: "%08X%08X", counter, random & 0xFFFF_FFFF).utf8)))\""
    }
}
