import Foundation
import PortraitCore
import PortraitHTTP

/// Microsoft Entra ID / Microsoft 365 photos through Microsoft Graph (v1.0, app-only).
///
/// People are listed once, paged, without photo information (Graph's user list has none); a
/// person's photo version is the `@odata.mediaEtag` of `GET /users/{id}/photo`, which changes on
/// every upload. All requests go through one adaptive `Throttle` per system.
public final class GraphSystem: PhotoWriting, PhotoVersionReading, SelfServiceReporting {
    public let name: String
    public let settings: GraphSettings
    public let capabilities: Capabilities
    private let client: ThrottledClient
    private let tokens: TokenCache

    /// `environment` supplies `HTTPS_PROXY` and `NO_PROXY`.
    public init(name: String, settings: GraphSettings, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.name = name
        self.settings = settings
        capabilities = Capabilities(renditions: [settings.profile], matching: settings.matching,
                                    listsPhotoVersions: false, concurrency: GraphSettings.photoConcurrency)
        let http = try HTTPService(caFile: settings.caFile, environment: environment)
        client = ThrottledClient(name: name, http: http, throttle: Throttle(start: 2, maximum: GraphSettings.photoConcurrency),
                                 throttling: GraphError.throttling)
        let source = try GraphTokens(system: name, settings: settings, http: http)
        tokens = TokenCache { try await source.fetch() }
    }

    public var location: String { "graph:\(settings.tenant.lowercased())" }

    // MARK: - PhotoSystem

    public func check() async throws {
        _ = try await tokens.token()
        let reply = try await send(.GET, "/v1.0/users?$select=id&$top=1")
        guard reply.status == 200 else { throw GraphError.failure(reply, system: name, action: "list users") }
    }

    public func listPeople() -> AsyncThrowingStream<PeoplePage, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    var next: String? = "\(settings.graphURL)/v1.0/users?$select=id,userPrincipalName,mail,employeeId&$top=999"
                    while let url = next {
                        let reply = try await send(.GET, url: url)
                        guard reply.status == 200 else { throw GraphError.failure(reply, system: name, action: "list users") }
                        let (accounts, link) = try parseUsers(reply)
                        continuation.yield(PeoplePage(accounts: accounts))
                        next = link
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// The bytes as Graph serves them; the version, when the reply carries one, is its ETag.
    public func readPhoto(of account: Account) async throws -> Photo? {
        let reply = try await send(.GET, "/v1.0/users/\(URLEncoding.key(account.id))/photo/$value")
        switch reply.status {
        case 200:
            return Photo(bytes: reply.body, version: reply.headers.first(name: "ETag"), origin: "\(name) photo of \(account.label)")
        case 404 where GraphError.isNoPhoto(reply):
            return nil
        default:
            throw GraphError.failure(reply, system: name, action: "read the photo of \(account.label)")
        }
    }

    // MARK: - PhotoVersionReading

    public func photoVersion(of account: Account) async throws -> String? {
        let reply = try await send(.GET, "/v1.0/users/\(URLEncoding.key(account.id))/photo")
        switch reply.status {
        case 200:
            let object = (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any]
            return object?["@odata.mediaEtag"] as? String
        case 404 where GraphError.isNoPhoto(reply):
            return nil
        default:
            throw GraphError.failure(reply, system: name, action: "read the photo of \(account.label)")
        }
    }

    // MARK: - SelfServiceReporting

    /// Entra's `photoUpdateSettings` (beta; `PeopleSettings.Read.All`, which Portrait needs for
    /// nothing else): `source = onPremises` keeps photo changes out of the cloud, `allowedRoles`
    /// leaves them to those admin roles; otherwise people may set their own.
    public func selfService() async throws -> SelfService {
        let reply = try await send(.GET, "/beta/admin/people/photoUpdateSettings")
        guard reply.status == 200, let settings = (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any] else {
            let why = reply.status == 403 ? "the app has no PeopleSettings.Read.All (grant it to let check tell; Portrait needs it for nothing else)"
                : "Graph answered \(reply.status)"
            return .unknown("cannot read the tenant's photoUpdateSettings: \(why)")
        }
        let source = settings["source"] as? String
        let roles = settings["allowedRoles"] as? [String] ?? []
        if source == "onPremises" {
            return .closed("photoUpdateSettings source = onPremises: photos are changed on premises only")
        }
        if !roles.isEmpty {
            return .closed("photoUpdateSettings allowedRoles: only \(roles.count) admin role\(roles.count == 1 ? "" : "s") may change photos")
        }
        return .open("photoUpdateSettings has no allowedRoles (source \(source ?? "not set")): people may change their own photo")
    }

    // MARK: - PhotoWriting

    public func newAccount(for keys: MatchKeys) -> Account? { nil }

    public func writePhoto(_ renditions: [Rendition], for account: Account) async throws -> String? {
        guard let rendition = renditions.first else { return nil }
        guard rendition.bytes.count <= GraphSettings.maxPhotoBytes else {
            throw SystemError(.rejected, "\(name): the photo of \(account.label) is \(rendition.bytes.count) bytes, over Graph's 4 MB; lower side or set max_bytes")
        }
        let reply = try await send(.PUT, "/v1.0/users/\(URLEncoding.key(account.id))/photo/$value",
                                   headers: [("Content-Type", rendition.mediaType)], body: rendition.bytes)
        guard (200..<300).contains(reply.status) else {
            throw GraphError.failure(reply, system: name, action: "write the photo of \(account.label)")
        }
        // The reply carries no etag, and asking for it would double the requests of a push: the
        // next run, which reads every written person's version anyway, confirms it.
        return nil
    }

    public func deletePhoto(of account: Account) async throws {
        let reply = try await send(.DELETE, "/v1.0/users/\(URLEncoding.key(account.id))/photo/$value")
        guard (200..<300).contains(reply.status) || (reply.status == 404 && GraphError.isNoPhoto(reply)) else {
            throw GraphError.failure(reply, system: name, action: "delete the photo of \(account.label)")
        }
    }

    // MARK: - Requests

    private func send(_ method: HTTPRequestSpec.Method, _ path: String, headers: [(String, String)] = [], body: Data? = nil) async throws -> HTTPReply {
        try await send(method, url: settings.graphURL + path, headers: headers, body: body)
    }

    /// Sends with the shared token; a 401 for an expired or revoked token fetches a new one once.
    private func send(_ method: HTTPRequestSpec.Method, url: String, headers: [(String, String)] = [], body: Data? = nil) async throws -> HTTPReply {
        do {
            return try await client.perform({ [tokens] in
                let token = try await tokens.token()
                return HTTPRequestSpec(method: method, url: url,
                                       headers: [("Authorization", "Bearer \(token.reveal())"), ("Accept", "application/json")] + headers,
                                       body: body)
            }, reauthorize: { [tokens] spec, reply in
                guard GraphError.code(of: reply).code == "InvalidAuthenticationToken",
                      let header = spec.headers.first(where: { $0.0 == "Authorization" })?.1 else { return false }
                await tokens.invalidate(Secret(String(header.dropFirst("Bearer ".count))))
                return true
            })
        } catch let error as RetriesExhausted {
            throw SystemError(.failed, "\(name): \(error)")
        } catch let error as Unreachable {
            throw SystemError(.unreachable, "\(name): cannot reach \(settings.graphURL): \(error)")
        }
    }

    private func parseUsers(_ reply: HTTPReply) throws -> ([Account], String?) {
        guard let object = (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any],
              let values = object["value"] as? [[String: Any]] else {
            throw SystemError(.failed, "\(name): Graph's user list could not be read")
        }
        let accounts = values.compactMap { user -> Account? in
            guard let id = user["id"] as? String else { return nil }
            return Account(id: id, keys: MatchKeys(mail: user["mail"] as? String,
                                                   userPrincipalName: user["userPrincipalName"] as? String,
                                                   employeeId: user["employeeId"] as? String),
                           photo: .unknown)
        }
        let next = object["@odata.nextLink"] as? String
        // The token goes only to the configured Graph host, whatever a reply says.
        if let link = next, !link.hasPrefix(settings.graphURL + "/") {
            throw SystemError(.failed, "\(name): Graph's next page link points to another host (\(URL(string: link)?.host ?? "?")); refusing to follow it")
        }
        return (accounts, next)
    }
}

