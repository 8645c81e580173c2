import Foundation
import NIOHTTP1
import PortraitCore

/// `portrait sandbox`: a built-in emulator of the services Portrait writes to, on one loopback
/// port — Microsoft's (Entra ID's token endpoint and Graph, in `Graph/`) and Google's (OAuth's
/// token endpoint and the Admin SDK Directory API, in `Google/`) — sharing the HTTP server and,
/// per service, a `ServiceGate` of tokens, penalties, faults and counters. Counters are served at
/// `GET /_sandbox/stats`.
public final class Sandbox: Sendable {
    public let options: SandboxOptions
    /// The emulated Entra tenant.
    public let graph: GraphHandle
    /// The emulated Google Workspace domain.
    public let google: GoogleHandle
    /// People signing in to apps through the tenant and the domain (OpenID Connect).
    public let entraSignIn: SignInHandle
    public let googleSignIn: SignInHandle
    private let server: SandboxHTTPServer

    public static func start(_ options: SandboxOptions) async throws -> Sandbox {
        // Each makes RSA keys: seconds of CPU on a loaded machine, kept off the cooperative threads
        // that serve this and every other sandbox in the process.
        let (graph, google, entraSignIn, googleSignIn) = try await offload {
            (try GraphService(options: options), try GoogleService(options: options),
             try OpenIDProvider(.entra, options: options), try OpenIDProvider(.google, options: options))
        }
        let server = try await SandboxHTTPServer(host: options.host, port: options.port) { request in
            if request.method == .GET, request.path == "/_sandbox/stats" {
                let stats = AllStats(graph: await graph.state.stats, google: await google.state.stats,
                                     entraSignIn: await entraSignIn.stats, googleSignIn: await googleSignIn.stats)
                let data = (try? JSONEncoder().encode(stats)) ?? Data()
                return SandboxResponse(status: .ok, headers: [("Content-Type", "application/json")], body: data)
            }
            if let response = await entraSignIn.route(request) { return response }
            if let response = await googleSignIn.route(request) { return response }
            if let response = await graph.route(request) { return response }
            if let response = await google.route(request) { return response }
            return .json(.notFound, ["error": "No route for \(request.method) \(request.path)."])
        }
        return Sandbox(options: options, graph: GraphHandle(service: graph), google: GoogleHandle(service: google),
                       entraSignIn: SignInHandle(provider: entraSignIn), googleSignIn: SignInHandle(provider: googleSignIn), server: server)
    }

    /// Starts a sandbox for `body` and stops it afterwards, even when `body` throws.
    public static func run<T>(_ options: SandboxOptions, _ body: (Sandbox) async throws -> T) async throws -> T {
        let sandbox = try await start(options)
        do {
            let result = try await body(sandbox)
            await sandbox.stop()
            return result
        } catch {
            await sandbox.stop()
            throw error
        }
    }

    private init(options: SandboxOptions, graph: GraphHandle, google: GoogleHandle, entraSignIn: SignInHandle, googleSignIn: SignInHandle,
                 server: SandboxHTTPServer) {
        self.options = options
        self.graph = graph
        self.google = google
        self.entraSignIn = entraSignIn
        self.googleSignIn = googleSignIn
        self.server = server
    }

    public var port: Int { server.port }
    /// The base URL of every emulated service: Graph, its sign-in, Google's API and token endpoint.
    public var baseURL: String { "http://\(options.host):\(port)" }

    public func stop() async { await server.stop() }

    /// Changes both services' latency and Google's quota while the sandbox runs: a benchmark sets
    /// up its starting state quickly, then measures under the conditions it reports.
    public func setConditions(latency: Duration, googleLimits: [LimitShape]) async {
        await graph.service.state.setLatency(latency)
        await google.service.state.setConditions(latency: latency, googleLimits: googleLimits)
    }

    private struct AllStats: Encodable {
        var graph: SandboxStats
        var google: SandboxStats
        var entraSignIn: SignInStats
        var googleSignIn: SignInStats
        enum CodingKeys: String, CodingKey {
            case graph, google
            case entraSignIn = "entra_sign_in"
            case googleSignIn = "google_sign_in"
        }
    }
}

/// What a test may do to a sandbox identity provider from outside, and look at.
public struct SignInHandle: Sendable {
    let provider: OpenIDProvider

    public func stats() async -> SignInStats { await provider.stats }

    /// A new signing key signs from now on, published beside the old one.
    public func rotateKey() async throws { try await provider.rotateKey() }

    /// The next ID token issued is spoiled this way.
    public func spoilNextIDToken(_ flaw: IDTokenFlaw) async { await provider.spoilNextIDToken(flaw) }
}

/// What a test or benchmark may do to the emulated Entra tenant from outside, as an admin or a
/// user would, and what it may look at.
public struct GraphHandle: Sendable {
    let service: GraphService

    public func stats() async -> SandboxStats { await service.state.stats }

    /// The bytes the tenant serves as a user's photo, or nil.
    public func photo(ofUser key: String) async -> Data? {
        guard let index = await service.state.user(key) else { return nil }
        return await service.servedPhoto(index)?.bytes
    }

    /// Changes a user's photo as someone else would (an admin, the user), outside Portrait.
    public func replacePhoto(ofUser key: String, with bytes: Data) async {
        guard let index = await service.state.user(key) else { return }
        _ = await service.state.setPhoto(index, bytes: bytes, side: SeedPhotos.side, pending: nil)
    }

    /// Deletes a user's photo as someone else would.
    public func deletePhoto(ofUser key: String) async {
        guard let index = await service.state.user(key) else { return }
        _ = await service.state.deletePhoto(index)
    }
}

/// What a test or benchmark may do to the emulated Google domain from outside, and look at.
public struct GoogleHandle: Sendable {
    let service: GoogleService

    public func stats() async -> SandboxStats { await service.state.stats }

    /// The service account's JSON key, as the Google Cloud console gives it, with `token_uri`
    /// at this sandbox (`baseURL + "/token"`).
    public func serviceAccountKey(tokenURI: String) -> Data { service.endpoint.keyFile(tokenURI: tokenURI) }

    /// An access token acting as `admin` with the user scope, as if obtained through the token
    /// endpoint: for a benchmark's plain reference client.
    public func accessToken(actingAs admin: String) async -> String {
        await service.state.mintToken(subject: admin, scopes: [GoogleService.writeScope])
    }

    /// The bytes Google serves as a user's photo (its 96×96 copy), or nil.
    public func photo(ofUser key: String) async -> Data? {
        guard let index = await service.state.user(key) else { return nil }
        return await service.servedPhoto(index)?.bytes
    }

    /// Changes a user's photo as another admin would, outside Portrait.
    public func replacePhoto(ofUser key: String, with bytes: Data) async {
        guard let index = await service.state.user(key) else { return }
        _ = await service.state.setPhoto(index, bytes: bytes, pending: .documented)
    }

    /// Deletes a user's photo as another admin would.
    public func deletePhoto(ofUser key: String) async {
        guard let index = await service.state.user(key) else { return }
        _ = await service.state.deletePhoto(index)
    }

    /// The user sets their own photo, which Google shows over any admin upload.
    public func setOwnPhoto(ofUser key: String, with bytes: Data) async {
        guard let index = await service.state.user(key) else { return }
        await service.state.setOwnPhoto(index, bytes: bytes)
    }
}
