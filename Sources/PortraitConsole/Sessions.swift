import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import PortraitCore
import PortraitStore

/// What a signed-in person may do: approvers decide on waiting photos, viewers only look.
public enum ConsoleRole: String, Sendable, CaseIterable {
    case approver, viewer
}

/// The person signed in on this request.
public struct Visitor: Sendable {
    public var name: String
    public var role: ConsoleRole
    /// The synchronizer token every form of this session carries (`SessionToken.csrf`).
    public var csrf: String
    var tokenSHA256: String

    public var mayDecide: Bool { role == .approver }
}

/// The console's request context: Hummingbird's, plus who is signed in.
public struct ConsoleContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var visitor: Visitor?
    /// The address the request came from (the proxy's, behind one).
    public let peer: String?

    public init(source: Source) {
        coreContext = .init(source: source)
        peer = source.channel.remoteAddress?.ipAddress
    }

    /// Who is asking: the peer, or behind a proxy the address it says it was asked from (the last
    /// `X-Forwarded-For` entry, the one the proxy itself added).
    func client(of request: Request, behindProxy: Bool) -> String {
        if behindProxy, let forwarded = request.headers[RequestOrigin.forwardedFor]?.split(separator: ",").last {
            return forwarded.trimmingCharacters(in: .whitespaces)
        }
        return peer ?? "unknown"
    }
}

/// A session is 32 random bytes in an HttpOnly cookie; the store keeps only their SHA-256.
enum SessionToken {
    static let cookieName = "portrait_session"

    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode(Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }))
    }

    static func sha256(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The form token of a session: an HMAC of the session's own secret, so it needs no storage,
    /// cannot be guessed from anything a page shows, and changes with every sign-in.
    static func csrf(_ token: String) -> String {
        Base64URL.encode(Data(HMAC<SHA256>.authenticationCode(for: Data("portrait console form".utf8), using: SymmetricKey(data: Data(token.utf8)))))
    }

    static func cookie(_ token: String, secure: Bool) -> Cookie {
        Cookie(name: cookieName, value: token, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }

    static func expired(secure: Bool) -> Cookie {
        Cookie(name: cookieName, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }
}

/// Finds the session a request's cookie names and puts its person in the context.
struct SessionMiddleware: RouterMiddleware {
    let store: Store
    let idle: TimeInterval

    func handle(_ request: Request, context: ConsoleContext, next: (Request, ConsoleContext) async throws -> Response) async throws -> Response {
        var context = context
        if let token = request.cookies[SessionToken.cookieName]?.value, (40...60).contains(token.count) {
            let hash = SessionToken.sha256(token)
            if let session = try await store.consoleSession(tokenSHA256: hash, idle: idle),
               let role = ConsoleRole(rawValue: session.role) {
                context.visitor = Visitor(name: session.name, role: role, csrf: SessionToken.csrf(token), tokenSHA256: hash)
            }
        }
        return try await next(request, context)
    }
}

/// Where a state-changing request comes from. Browsers say it (`Sec-Fetch-Site`, or at least
/// `Origin`); a request from another site is refused even with a valid cookie — with the CSRF
/// token this is the second of two locks.
enum RequestOrigin {
    static let fetchSite = HTTPField.Name("Sec-Fetch-Site")!
    static let forwardedHost = HTTPField.Name("X-Forwarded-Host")!
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    static func isSameOrigin(_ request: Request, behindProxy: Bool) -> Bool {
        if let site = request.headers[fetchSite] {
            return site == "same-origin"
        }
        if let origin = request.headers[.origin] {
            guard let components = URLComponents(string: origin), let host = components.host else { return false }
            let authority = components.port.map { "\(host):\($0)" } ?? host
            let served = (behindProxy ? request.headers[forwardedHost] : nil) ?? request.head.authority
            return served?.lowercased() == authority.lowercased()
        }
        // Neither header: not a browser (a script with the session's cookie and token).
        return true
    }
}
