import Foundation
import PortraitCore

/// Everything the emulated Entra tenant remembers: users, photos and Graph's limits; tokens,
/// penalties, faults and counters are kept by its `ServiceGate`.
actor GraphTenant {
    struct User: Sendable {
        let id: String
        let userPrincipalName: String
        let mail: String?
        let employeeId: String?
    }

    struct StoredPhoto: Sendable {
        var bytes: Data
        var etag: String
        var side: Int
        /// How Graph's copy is to be made from `bytes`, still the upload; nil once they are the copy.
        var pending: CopyBehaviour?
        /// Whether the version has moved for the copy (`SandboxOptions.copiesMoveVersion`).
        var settled = false
    }

    /// Admission of one Graph request: let through (to be released), or answered now.
    enum Admission: Sendable {
        case admitted(fault: ServiceGate.Fault?)
        case refused(SandboxResponse)
    }

    /// Latency may be changed while it runs (`Sandbox.setConditions`).
    private(set) var options: SandboxOptions
    let users: [User]
    private let byKey: [String: Int]
    private var photos: [Int: StoredPhoto] = [:]
    /// Users whose seeded photo is still to be drawn (made on first read).
    private var seeded: Set<Int>
    private var assertionIds: Set<String> = []
    private var photoInFlight = 0
    private var limits: ServiceLimits
    private var gate: ServiceGate
    private var etagCounter = 0

    func setLatency(_ latency: Duration) {
        options.latency = latency
    }

    init(options: SandboxOptions) {
        self.options = options
        var users: [User] = []
        var byKey: [String: Int] = [:]
        for index in 0..<options.users {
            let mail = SamplePeople.mail(index, domain: options.mailDomain)
            let user = User(id: Self.objectId(index), userPrincipalName: mail, mail: mail, employeeId: SamplePeople.employeeId(index))
            users.append(user)
            byKey[user.id] = index
            byKey[mail.lowercased()] = index
        }
        for (offset, extra) in options.extraUsers.enumerated() {
            let index = options.users + offset
            users.append(User(id: Self.objectId(index), userPrincipalName: extra.userPrincipalName, mail: extra.mail, employeeId: nil))
            byKey[Self.objectId(index)] = index
            byKey[extra.userPrincipalName.lowercased()] = index
        }
        self.users = users
        self.byKey = byKey
        var gate = ServiceGate(options: options, seed: options.seed)
        seeded = Set((0..<options.users).filter { _ in gate.unit() < options.photoFraction })
        self.gate = gate
        limits = ServiceLimits(options.graphLimits)
    }

    var stats: SandboxStats { gate.stats }

    static func objectId(_ index: Int) -> String {
        String(format: "%08x-0000-4000-8000-%012x", index + 1, index + 1)
    }

    // MARK: - Tokens

    func issueToken(_ request: SandboxRequest, tenant: String, endpoint: EntraTokenEndpoint) -> SandboxResponse {
        gate.countTokenRequest()
        if let failure = endpoint.verify(request, tenant: tenant, usedAssertionIds: &assertionIds) {
            return gate.count(failure)
        }
        let token = gate.issueToken(prefix: "sandbox.")
        return gate.count(.json(.ok, ["token_type": "Bearer", "expires_in": options.tokenLifetime,
                                      "ext_expires_in": options.tokenLifetime, "access_token": token]))
    }

    // MARK: - Admission: authentication, throttling, faults

    func admit(_ request: SandboxRequest, isPhoto: Bool, isWrite: Bool) -> Admission {
        switch gate.authenticate(request) {
        case .missing:
            return .refused(gate.count(.graphError(.unauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")))
        case .expired:
            return .refused(gate.count(.graphError(.unauthorized, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")))
        case .valid:
            break
        }
        let now = gate.now
        if let until = gate.penalty(request) {
            return .refused(throttle("TooManyRequests", "Too many requests. Retry after the time in Retry-After.", retryAfter: gate.seconds(until: until), by: nil))
        }
        if let refusal = limits.admit(now: now, isPhoto: isPhoto, isWrite: isWrite) {
            let (code, message) = switch refusal.shape.kind {
            case .concurrency: ("ApplicationThrottled", "Application is over its MailboxConcurrency limit.")
            case .window where refusal.shape.scope == .writes: ("TooManyRequests", "Application is over its photo write budget (resource units).")
            case .window: ("TooManyRequests", "Application is over its request rate limit.")
            }
            return .refused(throttle(code, message, retryAfter: refusal.retryAfter, by: refusal.shape))
        }
        if isPhoto {
            photoInFlight += 1
            let inFlight = photoInFlight
            gate.record { $0.maxPhotoConcurrency = max($0.maxPhotoConcurrency, inFlight) }
        }
        return .admitted(fault: gate.admit())
    }

    /// Ends an admitted request whose answer is about to be sent.
    func release(isPhoto: Bool, isWrite: Bool, answer: SandboxResponse) -> SandboxResponse {
        if isPhoto { photoInFlight -= 1 }
        limits.release(isPhoto: isPhoto, isWrite: isWrite)
        gate.release(answer: answer)
        return gate.count(answer)
    }

    func count(_ response: SandboxResponse) -> SandboxResponse { gate.count(response) }

    private func throttle(_ code: String, _ message: String, retryAfter: Int?, by shape: LimitShape?) -> SandboxResponse {
        gate.throttled(.graphError(.tooManyRequests, code, message, headers: retryAfter.map { [("Retry-After", String($0))] } ?? []),
                       retryAfter: retryAfter, by: shape)
    }

    // MARK: - Directory and photos

    func user(_ key: String) -> Int? { byKey[key.lowercased()] ?? byKey[key] }

    func page(from start: Int, size: Int) -> ArraySlice<User> {
        gate.record { $0.listPages += 1 }
        return users[min(start, users.count)..<min(start + size, users.count)]
    }

    /// The photo; an upload whose copy is still to be made has its version moved first, when
    /// copies move versions.
    func photo(of index: Int) -> StoredPhoto? {
        if seeded.remove(index) != nil {
            photos[index] = Self.seedPhoto(index, etag: nextEtag())
        }
        if options.copiesMoveVersion, let photo = photos[index], photo.pending != nil, !photo.settled {
            photos[index]?.etag = nextEtag()
            photos[index]?.settled = true
        }
        return photos[index]
    }

    /// A photo uploaded; `pending` says how Graph's copy is made from it (nil: it is the copy).
    func setPhoto(_ index: Int, bytes: Data, side: Int, pending: CopyBehaviour?) -> String {
        let etag = nextEtag()
        seeded.remove(index)
        photos[index] = StoredPhoto(bytes: bytes, etag: etag, side: side, pending: pending)
        gate.record { $0.uploads += 1 }
        return etag
    }

    /// How the copy of the next upload is made: `graphCopies`, with `random` drawn now.
    func nextCopy() -> CopyBehaviour {
        options.graphCopies.resolved { gate.next() }
    }

    /// Keeps Graph's copy of an upload, unless the photo changed meanwhile.
    func storeCopy(_ index: Int, etag: String, bytes: Data) {
        guard photos[index]?.etag == etag else { return }
        photos[index]?.bytes = bytes
        photos[index]?.pending = nil
    }

    func deletePhoto(_ index: Int) -> Bool {
        gate.record { $0.deletes += 1 }
        let seededRemoved = seeded.remove(index) != nil
        return photos.removeValue(forKey: index) != nil || seededRemoved
    }

    func record(_ change: @Sendable (inout SandboxStats) -> Void) { gate.record(change) }

    /// A new etag for every upload, even of identical bytes, as Graph does.
    private func nextEtag() -> String {
        etagCounter += 1
        return "\"\(String(format: "%08X", etagCounter))\(String(format: "%08X", gate.next() & 0xFFFF_FFFF))\""
    }

    private static func seedPhoto(_ index: Int, etag: String) -> StoredPhoto {
        let bytes = (try? SeedPhotos.jpeg(seed: 10_000 + index)) ?? Data()
        return StoredPhoto(bytes: bytes, etag: etag, side: SeedPhotos.side)
    }
}
