import Foundation
import NIOHTTP1
import PortraitCore
import PortraitImaging

/// The Microsoft half of the sandbox, following ../shared/api-notes.md: Entra ID's token
/// endpoint (a client secret, or a client assertion signed with the registered certificate's key;
/// tokens that expire) and Graph's users and photos — seeded users and paging; photo metadata,
/// bytes, upload (Graph's own copy: a centre square of at most 648 px, a new etag every time) and
/// delete; Graph's error codes; per-app photo concurrency, rate and write limits answered with
/// 429 and Retry-After; `$batch`.
struct GraphService: Sendable {
    let state: GraphTenant
    let endpoint: EntraTokenEndpoint
    let options: SandboxOptions
    let pipeline = ImagePipeline()

    init(options: SandboxOptions) throws {
        self.options = options
        state = GraphTenant(options: options)
        endpoint = try EntraTokenEndpoint(options: options)
    }

    static let photoUpdateSettingsPath = "/beta/admin/people/photoUpdateSettings"

    /// `/{tenant}/oauth2/v2.0/token`, `/v1.0/…` and the beta photoUpdateSettings; nil for any other path.
    func route(_ request: SandboxRequest) async -> SandboxResponse? {
        let segments = request.path.split(separator: "/").map(String.init)
        if request.method == .POST, segments.count == 4, segments[1] == "oauth2", segments[2] == "v2.0", segments[3] == "token" {
            return await state.issueToken(request, tenant: segments[0], endpoint: endpoint)
        }
        guard segments.first == "v1.0" || request.path == Self.photoUpdateSettingsPath else { return nil }
        return await handle(request)
    }

    func handle(_ request: SandboxRequest) async -> SandboxResponse {
        let segments = request.path.split(separator: "/").map(String.init)
        if request.method == .POST, request.path == "/v1.0/$batch" {
            return await state.count(batch(request))
        }
        let isPhoto = segments.count >= 4 && segments[1] == "users" && segments[3] == "photo"
        let isWrite = isPhoto && segments.last == "$value" && [.PUT, .PATCH, .DELETE].contains(request.method)
        switch await state.admit(request, isPhoto: isPhoto, isWrite: isWrite) {
        case .refused(let response):
            return response
        case .admitted(let fault):
            let latency = await state.options.latency
            if latency > .zero { try? await Task.sleep(for: latency) }
            var response = await graph(request, segments: segments)
            if let fault {
                response = .faulted(fault, instead: response) { status, headers in
                    status == .serviceUnavailable
                        ? .graphError(status, "serviceNotAvailable", "The service is temporarily unavailable.", headers: headers)
                        : .graphError(status, "generalException", "An internal server error occurred.", headers: headers)
                }
            }
            return await state.release(isPhoto: isPhoto, isWrite: isWrite, answer: response)
        }
    }

    private func graph(_ request: SandboxRequest, segments: [String]) async -> SandboxResponse {
        switch (request.method, segments.count) {
        case (.GET, 2) where segments[1] == "users":
            return await listUsers(request)
        case (.GET, 3) where segments[1] == "users":
            guard let index = await state.user(segments[2]) else { return notFound(segments[2]) }
            return .json(.ok, userJSON(state.users[index], base: request.base))
        case (_, 4...5) where segments[1] == "users" && segments[3] == "photo":
            guard let index = await state.user(segments[2]) else { return notFound(segments[2]) }
            let isValue = segments.count == 5 && segments[4] == "$value"
            guard segments.count == 4 || isValue else { return notFound(request.path) }
            return await photo(request, user: index, value: isValue)
        case (.GET, _) where request.path == Self.photoUpdateSettingsPath:
            guard !options.graphOptionalPermissions.isDisjoint(with: ["PeopleSettings.Read.All", "PeopleSettings.ReadWrite.All"]) else {
                return .graphError(.forbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
            }
            return .json(.ok, ["@odata.context": "\(request.base)/beta/$metadata#admin/people/photoUpdateSettings/$entity",
                               "source": options.photoUpdateSource.map { $0 as Any } ?? NSNull(), "allowedRoles": options.photoUpdateAllowedRoles])
        default:
            return .graphError(.badRequest, "BadRequest", "Unsupported request \(request.method) \(request.path).")
        }
    }

    private func listUsers(_ request: SandboxRequest) async -> SandboxResponse {
        let top = Int(request.query["$top"] ?? "100") ?? -1
        guard (1...999).contains(top) else {
            return .graphError(.badRequest, "Request_UnsupportedQuery", "Invalid page size specified: '\(request.query["$top"] ?? "")'. Must be between 1 and 999 inclusive.")
        }
        let start = Int(request.query["$skiptoken"] ?? "0") ?? 0
        let page = await state.page(from: start, size: top)
        var body: [String: Any] = [
            "@odata.context": "\(request.base)/v1.0/$metadata#users",
            "value": page.map { userJSON($0, base: request.base) },
        ]
        if page.endIndex < state.users.count {
            let select = request.query["$select"].map { "$select=\($0)&" } ?? ""
            body["@odata.nextLink"] = "\(request.base)/v1.0/users?\(select)$top=\(top)&$skiptoken=\(page.endIndex)"
        }
        return .json(.ok, body)
    }

    private func photo(_ request: SandboxRequest, user index: Int, value: Bool) async -> SandboxResponse {
        let id = state.users[index].id
        switch request.method {
        case .GET:
            guard let photo = await state.photo(of: index) else {
                return .graphError(.notFound, "ImageNotFound", "Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' was thrown.")
            }
            if value {
                await state.record { $0.downloads += 1 }
                let served = await servedPhoto(index) ?? photo
                return SandboxResponse(status: .ok, headers: [("Content-Type", "image/jpeg"), ("ETag", served.etag)], body: served.bytes)
            }
            await state.record { $0.metadataReads += 1 }
            return .json(.ok, [
                "@odata.context": "\(request.base)/v1.0/$metadata#users('\(id)')/photo/$entity",
                "@odata.mediaContentType": "image/jpeg",
                "@odata.mediaEtag": photo.etag,
                "id": "\(photo.side)X\(photo.side)", "width": photo.side, "height": photo.side,
            ])
        case .PUT where value, .PATCH where value:
            guard request.body.count <= 4 * 1024 * 1024 else {
                return .graphError(.payloadTooLarge, "RequestEntityTooLarge", "The photo is larger than the 4 MB limit.")
            }
            let type = request.header("Content-Type") ?? ""
            guard type.hasPrefix("image/jpeg") || type.hasPrefix("image/png") else {
                return .graphError(.badRequest, "ErrorInvalidImage", "Content-Type must be image/jpeg or image/png.")
            }
            // Graph keeps its own copy, the centre square at most 648×648 (see `ServiceCopy`).
            guard let header = try? pipeline.inspect(Photo(bytes: request.body, version: nil, origin: "upload")) else {
                return .graphError(.badRequest, "ErrorInvalidImage", "The file you chose isn't an image.")
            }
            let side = min(648, header.width, header.height)
            let copy = await state.nextCopy()
            if copy == .documented, ServiceCopy.isKept(request.body, header: header, side: 648, exact: false) {
                _ = await state.setPhoto(index, bytes: ServiceCopy.marked(request.body, by: "Microsoft Graph profile photo copy"), side: side, pending: nil)
            } else {
                _ = await state.setPhoto(index, bytes: request.body, side: side, pending: copy)
            }
            return SandboxResponse(status: .ok)
        case .DELETE where value:
            guard await state.deletePhoto(index) else {
                return .graphError(.notFound, "ImageNotFound", "Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' was thrown.")
            }
            return SandboxResponse(status: .noContent)
        default:
            return .graphError(.methodNotAllowed, "Request_BadRequest", "\(request.method) is not supported on \(request.path).")
        }
    }

    /// The photo as Graph serves it: its copy of an upload is made (off the cooperative threads)
    /// once, when first read.
    func servedPhoto(_ index: Int) async -> GraphTenant.StoredPhoto? {
        guard var photo = await state.photo(of: index) else { return nil }
        if let pending = photo.pending {
            photo.bytes = pending == .documented
                ? await ServiceCopy.documented(photo.bytes, side: 648, upscale: false, pipeline: pipeline)
                : await ServiceCopy.made(photo.bytes, by: pending)
            photo.pending = nil
            await state.storeCopy(index, etag: photo.etag, bytes: photo.bytes)
        }
        return photo
    }

    private func userJSON(_ user: GraphTenant.User, base: String) -> [String: Any] {
        ["id": user.id, "userPrincipalName": user.userPrincipalName, "mail": user.mail ?? NSNull(), "employeeId": user.employeeId ?? NSNull()]
    }

    private func notFound(_ key: String) -> SandboxResponse {
        .graphError(.notFound, "Request_ResourceNotFound", "Resource '\(key)' does not exist or one of its queried reference-property objects are not present.")
    }
}
