import Foundation
import PortraitCore
import PortraitHTTP
import Synchronization

/// Google Workspace photos through the Admin SDK Directory API, as an administrator by way of a
/// service account with domain-wide delegation.
///
/// `users.list` carries each user's `thumbnailPhotoEtag`, so a whole domain is checked for changed
/// photos in one request per 500 users and only changed photos are downloaded. Google limits
/// requests per minute per impersonated admin: every request goes through one `Throttle` with
/// that quota as a sliding window. Reads use a read-only token; only writes ask for the scope
/// that may change users.
public final class GoogleSystem: PhotoWriting {
    public let name: String
    public let settings: GoogleSettings
    public let capabilities: Capabilities
    private let client: ThrottledClient
    private let readTokens: TokenCache
    private let writeTokens: TokenCache
    /// Accounts the listing showed suspended: their photos are not written.
    private let suspended = Mutex<Set<String>>([])

    /// `environment` supplies `HTTPS_PROXY` and `NO_PROXY`; `tokenURL` overrides the key's `token_uri`.
    public init(name: String, settings: GoogleSettings, tokenURL: String? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.name = name
        self.settings = settings
        capabilities = Capabilities(renditions: [settings.profile], matching: settings.match.rules,
                                    listsPhotoVersions: true, concurrency: GoogleSettings.concurrency)
        let http = try HTTPService(caFile: settings.caFile, environment: environment)
        let quota = ThrottleState.RateLimit(requests: settings.quotaPerMinute, per: .seconds(60))
        client = ThrottledClient(name: name, http: http, throttle: Throttle(start: GoogleSettings.concurrency / 2, maximum: GoogleSettings.concurrency, quota: quota),
                                 throttling: GoogleError.throttling)
        let source = try GoogleTokens(system: name, settings: settings, tokenURL: tokenURL ?? settings.key.tokenURI, http: http)
        readTokens = TokenCache { try await source.fetch(scope: GoogleSettings.readScope) }
        writeTokens = TokenCache { try await source.fetch(scope: GoogleSettings.writeScope) }
    }

    /// The domain or customer written to; `my_customer` is the admin's own, named by their domain.
    public var location: String {
        switch settings.scope {
        case .customer("my_customer"): "google:\(settings.admin.split(separator: "@").last.map(String.init)?.lowercased() ?? settings.admin)"
        case .customer(let id): "google:\(id)"
        case .domain(let domain): "google:\(domain.lowercased())"
        }
    }

    // MARK: - PhotoSystem

    /// Signs in read-only and lists one page.
    public func check() async throws {
        let reply = try await send(.GET, usersURL(pageToken: nil, size: 1), tokens: readTokens)
        guard reply.status == 200 else { throw failure(reply, GoogleError.listing) }
    }

    public func listPeople() -> AsyncThrowingStream<PeoplePage, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    var pageToken: String?
                    repeat {
                        let reply = try await send(.GET, usersURL(pageToken: pageToken, size: 500), tokens: readTokens)
                        guard reply.status == 200 else { throw failure(reply, GoogleError.listing) }
                        let (accounts, next) = try parseUsers(reply)
                        continuation.yield(PeoplePage(accounts: accounts))
                        pageToken = next
                    } while pageToken != nil
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// The bytes as Google serves them (its 96×96 copy); the version is the photo's etag, the
    /// same the listing shows.
    public func readPhoto(of account: Account) async throws -> Photo? {
        let reply = try await send(.GET, photoURL(account), tokens: readTokens)
        if GoogleError.isNotFound(reply), GoogleError.reason(of: reply).message.contains("photo") { return nil }
        guard reply.status == 200 else { throw failure(reply, "read the photo of \(account.label)") }
        let object = (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any]
        guard let text = object?["photoData"] as? String, let bytes = Base64URL.decodeAnyPadding(text) else {
            throw SystemError(.failed, "\(name): Google's photo of \(account.label) could not be read (no photoData in web-safe base64)")
        }
        return Photo(bytes: bytes, version: object?["etag"] as? String, origin: "\(name) photo of \(account.label)")
    }

    // MARK: - PhotoWriting

    public func newAccount(for keys: MatchKeys) -> Account? { nil }

    /// Writes the rendition as the user's photo; the version is the etag Google answers with.
    public func writePhoto(_ renditions: [Rendition], for account: Account) async throws -> String? {
        guard let rendition = renditions.first else { return nil }
        if suspended.withLock({ $0.contains(account.id) }) {
            throw SystemError(.rejected, "\(name): \(account.label) is suspended in Google Workspace; the photo was not written (restore the user, or leave them out with --only)")
        }
        if settings.replaceUserPhoto { try await deletePhoto(of: account) }
        let body: [String: Any] = [
            "photoData": Base64URL.encode(rendition.bytes),
            "mimeType": "JPEG",
            "width": rendition.width, "height": rendition.height,
        ]
        let reply = try await send(.PUT, photoURL(account), tokens: writeTokens,
                                   body: try JSONSerialization.data(withJSONObject: body))
        guard reply.status == 200 else { throw failure(reply, "write the photo of \(account.label)") }
        let object = (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any]
        return object?["etag"] as? String
    }

    public func deletePhoto(of account: Account) async throws {
        let reply = try await send(.DELETE, photoURL(account), tokens: writeTokens)
        guard (200..<300).contains(reply.status) || GoogleError.isNotFound(reply) else {
            throw failure(reply, "delete the photo of \(account.label)")
        }
    }

    // MARK: - Requests

    private func usersURL(pageToken: String?, size: Int) -> String {
        var query = [("maxResults", String(size)), ("projection", "basic"),
                     ("fields", "nextPageToken,users(id,primaryEmail,externalIds,suspended,thumbnailPhotoEtag)")]
        switch settings.scope {
        case .customer(let id): query.insert(("customer", id), at: 0)
        case .domain(let domain): query.insert(("domain", domain), at: 0)
        }
        if let pageToken { query.append(("pageToken", pageToken)) }
        return "\(settings.apiURL)/admin/directory/v1/users?" + URLEncoding.form(query)
    }

    private func photoURL(_ account: Account) -> String {
        "\(settings.apiURL)/admin/directory/v1/users/\(URLEncoding.key(account.id))/photos/thumbnail"
    }

    /// Sends with the scope's shared token; a 401 for an expired or revoked token fetches a new one.
    private func send(_ method: HTTPRequestSpec.Method, _ url: String, tokens: TokenCache, body: Data? = nil) async throws -> HTTPReply {
        do {
            return try await client.perform({
                let token = try await tokens.token()
                var headers = [("Authorization", "Bearer \(token.reveal())"), ("Accept", "application/json")]
                if body != nil { headers.append(("Content-Type", "application/json")) }
                return HTTPRequestSpec(method: method, url: url, headers: headers, body: body)
            }, reauthorize: { spec, _ in
                guard let header = spec.headers.first(where: { $0.0 == "Authorization" })?.1 else { return false }
                await tokens.invalidate(Secret(String(header.dropFirst("Bearer ".count))))
                return true
            })
        } catch let error as RetriesExhausted {
            throw SystemError(.failed, "\(name): \(error)")
        } catch let error as Unreachable {
            throw SystemError(.unreachable, "\(name): cannot reach \(settings.apiURL): \(error)")
        }
    }

    private func failure(_ reply: HTTPReply, _ action: String) -> SystemError {
        GoogleError.failure(reply, system: name, settings: settings, action: action)
    }

    private func parseUsers(_ reply: HTTPReply) throws -> ([Account], String?) {
        guard let object = (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any] else {
            throw SystemError(.failed, "\(name): Google's user list could not be read")
        }
        let users = (object["users"] as? [[String: Any]]) ?? []
        var newlySuspended: [String] = []
        let accounts = users.compactMap { user -> Account? in
            guard let id = user["id"] as? String else { return nil }
            if user["suspended"] as? Bool == true { newlySuspended.append(id) }
            let externalIds = (user["externalIds"] as? [[String: Any]]) ?? []
            let employeeId = externalIds.first { $0["type"] as? String == "organization" }?["value"] as? String
            let etag = user["thumbnailPhotoEtag"] as? String
            return Account(id: id, keys: MatchKeys(mail: user["primaryEmail"] as? String, employeeId: employeeId),
                           photo: etag.map { .present(version: $0) } ?? .absent)
        }
        suspended.withLock { $0.formUnion(newlySuspended) }
        return (accounts, object["nextPageToken"] as? String)
    }
}
