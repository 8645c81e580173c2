import Foundation
import NIOHTTP1
import PortraitCore
import PortraitImaging

/// The Google half of the sandbox, following ../shared/api-notes.md: the OAuth token endpoint for
/// a service account with domain-wide delegation, and the Admin SDK Directory API's users and
/// photos — `users.list` with paging, `fields=` and each user's `thumbnailPhotoEtag`; photos
/// get/update/delete in web-safe base64, kept as a 96×96 copy with a new etag on every write; a
/// user's own photo shown over an admin's upload; Google's error bodies; and a per-admin quota
/// answered with 403 userRateLimitExceeded.
struct GoogleService: Sendable {
    /// Google keeps a 96×96 copy of every photo, whatever was sent.
    static let photoSide = 96
    static let apiPrefix = "/admin/directory/v1/"
    static let readScopes: Set<String> = ["https://www.googleapis.com/auth/admin.directory.user",
                                          "https://www.googleapis.com/auth/admin.directory.user.readonly"]
    static let writeScope = "https://www.googleapis.com/auth/admin.directory.user"

    let state: GoogleDomain
    let endpoint: GoogleTokenEndpoint
    let options: SandboxOptions
    let pipeline = ImagePipeline()

    init(options: SandboxOptions) throws {
        self.options = options
        state = GoogleDomain(options: options)
        endpoint = try GoogleTokenEndpoint(options: options)
    }

    /// `POST /token` and `/admin/directory/v1/…`; nil for any other path.
    func route(_ request: SandboxRequest) async -> SandboxResponse? {
        if request.path == "/token" {
            guard request.method == .POST else { return .json(.methodNotAllowed, ["error": "invalid_request"]) }
            return await state.issueToken(request, endpoint: endpoint)
        }
        guard request.path.hasPrefix(Self.apiPrefix) else { return nil }
        let isPhoto = request.path.hasSuffix("/photos/thumbnail")
        let isWrite = isPhoto && [.PUT, .PATCH, .DELETE].contains(request.method)
        switch await state.admit(request, isPhoto: isPhoto, isWrite: isWrite) {
        case .refused(let response):
            return response
        case .admitted(let grant, let fault):
            let latency = await state.options.latency
            if latency > .zero { try? await Task.sleep(for: latency) }
            var response = await directory(request, grant: grant)
            if let fault {
                response = .faulted(fault, instead: response) { status, headers in
                    status == .serviceUnavailable
                        ? .googleError(status, reason: "backendError", message: "The service is currently unavailable.", headers: headers)
                        : .googleError(status, reason: "internalError", message: "Internal error encountered.", headers: headers)
                }
            }
            return await state.release(grant, isPhoto: isPhoto, isWrite: isWrite, answer: response)
        }
    }

    private func directory(_ request: SandboxRequest, grant: ServiceGate.Grant) async -> SandboxResponse {
        let segments = request.path.dropFirst(Self.apiPrefix.count).split(separator: "/").map(String.init)
        // Domain-wide delegation lends the admin's rights: a token acting as anyone else reads nothing.
        guard await state.isAdmin(grant.subject) else {
            return .googleError(.forbidden, reason: "forbidden", message: "Not Authorized to access this resource/api")
        }
        let isWrite = request.method != .GET
        guard isWrite ? grant.scopes.contains(Self.writeScope) : !grant.scopes.isDisjoint(with: Self.readScopes) else {
            return .googleError(.forbidden, reason: "insufficientPermissions", message: "Insufficient Permission",
                                status: "PERMISSION_DENIED", top: "Request had insufficient authentication scopes.")
        }
        switch (request.method, segments.count) {
        case (.GET, 1) where segments[0] == "users":
            return await list(request)
        case (_, 4) where segments[0] == "users" && segments[2] == "photos" && segments[3] == "thumbnail":
            guard let index = await state.user(segments[1]) else {
                return .googleError(.notFound, reason: "notFound", message: "Resource Not Found: userKey")
            }
            return await photo(request, user: index)
        default:
            return .googleError(.notFound, reason: "notFound", message: "Not Found")
        }
    }

    // MARK: - users.list

    private func list(_ request: SandboxRequest) async -> SandboxResponse {
        let customer = request.query["customer"]
        let domain = request.query["domain"]
        if let customer, customer != "my_customer", customer != options.googleCustomerId {
            return .googleError(.badRequest, reason: "badRequest", message: "Bad Request")
        }
        if let domain, domain.lowercased() != options.mailDomain.lowercased() {
            return .googleError(.forbidden, reason: "forbidden", message: "Not Authorized to access this resource/api")
        }
        guard customer != nil || domain != nil else {
            return .googleError(.badRequest, reason: "badRequest", message: "Bad Request")
        }
        let size = Int(request.query["maxResults"] ?? "100") ?? 0
        guard (1...500).contains(size) else {
            return .googleError(.badRequest, reason: "invalid", message: "Invalid value '\(request.query["maxResults"] ?? "")'. Values must be within the range: [1, 500]")
        }
        let start: Int
        if let token = request.query["pageToken"] {
            guard let data = Base64URL.decode(token), let text = String(data: data, encoding: .utf8),
                  text.hasPrefix("page:"), let offset = Int(text.dropFirst(5)) else {
                return .googleError(.badRequest, reason: "invalid", message: "Invalid Input: pageToken")
            }
            start = offset
        } else {
            start = 0
        }
        let fields: PartialResponse
        do {
            fields = try PartialResponse(request.query["fields"])
        } catch {
            return .googleError(.badRequest, reason: "invalidParameter", message: "Invalid field selection \(request.query["fields"] ?? "")")
        }
        let page = await state.page(from: start, size: size)
        var users: [[String: Any]] = []
        for user in page {
            users.append(await userJSON(user, base: request.base))
        }
        var body: [String: Any] = ["kind": "admin#directory#users", "etag": "\"sandbox-users-\(start)\"", "users": users]
        if page.endIndex < state.users.count {
            body["nextPageToken"] = Base64URL.encode(Data("page:\(page.endIndex)".utf8))
        }
        return .json(.ok, fields.apply(to: body))
    }

    private func userJSON(_ user: GoogleDomain.User, base: String) async -> [String: Any] {
        let parts = user.primaryEmail.split(separator: "@")[0].split(separator: ".").map { $0.capitalized }
        var json: [String: Any] = [
            "kind": "admin#directory#user", "id": user.id, "etag": "\"user-\(user.id)\"",
            "primaryEmail": user.primaryEmail, "isAdmin": user.isAdmin, "suspended": user.suspended,
            "name": ["givenName": parts.first ?? "", "familyName": parts.dropFirst().joined(separator: " "),
                     "fullName": parts.joined(separator: " ")],
            "customerId": options.googleCustomerId, "orgUnitPath": "/",
        ]
        if let employeeId = user.employeeId {
            json["externalIds"] = [["value": employeeId, "type": "organization"]]
        }
        if let index = await state.user(user.id), let etag = await state.photoEtag(of: index) {
            json["thumbnailPhotoUrl"] = "\(base)/photos/private/\(user.id)"
            json["thumbnailPhotoEtag"] = etag
        }
        return json
    }

    // MARK: - users.photos

    private func photo(_ request: SandboxRequest, user index: Int) async -> SandboxResponse {
        let user = state.users[index]
        switch request.method {
        case .GET:
            guard let photo = await servedPhoto(index) else {
                return .googleError(.notFound, reason: "notFound", message: "Resource Not Found: photo")
            }
            await state.record { $0.downloads += 1 }
            return .json(.ok, photoJSON(user, photo, data: true))
        case .PUT, .PATCH:
            guard let object = (try? JSONSerialization.jsonObject(with: request.body)) as? [String: Any] else {
                return .googleError(.badRequest, reason: "parseError", message: "Parse Error")
            }
            guard let text = object["photoData"] as? String, !text.contains("+"), !text.contains("/"),
                  let bytes = Base64URL.decodeAnyPadding(text), !bytes.isEmpty,
                  let header = try? pipeline.inspect(Photo(bytes: bytes, version: nil, origin: "upload")) else {
                return .googleError(.badRequest, reason: "invalid", message: "Invalid Input: photoData")
            }
            // Google keeps its own 96×96 copy (see `ServiceCopy`).
            let copy = await state.nextCopy()
            let isCopy = copy == .documented && ServiceCopy.isKept(bytes, header: header, side: Self.photoSide, exact: true)
            let shown = await state.setPhoto(index, bytes: isCopy ? ServiceCopy.marked(bytes, by: "Google Workspace user photo") : bytes,
                                             pending: isCopy ? nil : copy)
            return .json(.ok, photoJSON(user, shown, data: false))
        case .DELETE:
            guard await state.deletePhoto(index) else {
                return .googleError(.notFound, reason: "notFound", message: "Resource Not Found: photo")
            }
            return SandboxResponse(status: .noContent)
        default:
            return .googleError(.methodNotAllowed, reason: "httpMethodNotAllowed", message: "Method not allowed")
        }
    }

    private func photoJSON(_ user: GoogleDomain.User, _ photo: GoogleDomain.StoredPhoto, data: Bool) -> [String: Any] {
        var json: [String: Any] = [
            "kind": "admin#directory#user#photo", "id": user.id, "etag": photo.etag, "primaryEmail": user.primaryEmail,
            "mimeType": "JPEG", "width": Self.photoSide, "height": Self.photoSide,
        ]
        if data { json["photoData"] = Self.webSafe(photo.bytes) }
        return json
    }

    /// Web-safe base64 as Google sends it: `-`, `_`, and `=` padding.
    static func webSafe(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    /// The photo as Google serves it: its copy of an upload (documented: 96×96) is made (off the
    /// cooperative threads) once, when first read.
    func servedPhoto(_ index: Int) async -> GoogleDomain.StoredPhoto? {
        guard var photo = await state.photo(of: index) else { return nil }
        if let pending = photo.pending {
            photo.bytes = pending == .documented
                ? await ServiceCopy.documented(photo.bytes, side: Self.photoSide, upscale: true, pipeline: pipeline)
                : await ServiceCopy.made(photo.bytes, by: pending)
            photo.pending = nil
            await state.storeCopy(index, etag: photo.etag, bytes: photo.bytes)
        }
        return photo
    }
}

extension SandboxResponse {
    /// Google's error shape: `{"error": {"code", "message", "errors": [{"message", "domain", "reason"}], "status"}}`.
    static func googleError(_ code: HTTPResponseStatus, domain: String = "global", reason: String, message: String,
                            status: String? = nil, top: String? = nil, headers: [(String, String)] = []) -> SandboxResponse {
        var error: [String: Any] = [
            "code": Int(code.code), "message": top ?? message,
            "errors": [["message": message, "domain": domain, "reason": reason]],
        ]
        if let status { error["status"] = status }
        return json(code, ["error": error], headers: headers)
    }
}
