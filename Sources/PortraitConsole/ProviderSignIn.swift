import Foundation
import HTTPTypes
import Hummingbird
import PortraitCore

/// How people sign in to the console.
public enum SignInMethod: Sendable {
    /// Accounts added with `portrait user add`, with bcrypt passwords.
    case local
    /// The organisation's identity provider; `ConsoleAccess` says who may do what.
    case provider(any IdentityProvider, ConsoleAccess)
}

/// Sign-ins sent to the identity provider and not back yet, by their `state`. Each is tied to
/// the browser that started it by a cookie (so nobody can make another person's browser finish a
/// sign-in as them), used once, and forgotten after ten minutes. Kept in memory: a restart
/// only makes someone in the middle of signing in start again.
actor PendingSignIns {
    struct Entry {
        var attempt: SignInAttempt
        var browserSHA256: String
        var next: String
        var started: Date
    }

    static let lifetime: TimeInterval = 600
    /// So that a flood of started sign-ins cannot fill the memory.
    static let capacity = 10_000

    private var entries: [String: Entry] = [:]

    func add(_ entry: Entry) {
        let now = Date()
        if entries.count >= Self.capacity {
            entries = entries.filter { now.timeIntervalSince($0.value.started) < Self.lifetime }
            if entries.count >= Self.capacity, let oldest = entries.min(by: { $0.value.started < $1.value.started })?.key {
                entries[oldest] = nil
            }
        }
        entries[entry.attempt.state] = entry
    }

    /// The sign-in `state` names, removed: a state (and so its code) is good for one try.
    func take(_ state: String) -> Entry? {
        entries.removeValue(forKey: state)
    }
}

/// The cookie that ties a sign-in at the provider to the browser that started it.
enum SignInCookie {
    static let name = "portrait_signin"

    static func cookie(_ value: String, secure: Bool) -> Cookie {
        Cookie(name: name, value: value, maxAge: Int(PendingSignIns.lifetime), path: "/login", secure: secure, httpOnly: true, sameSite: .lax)
    }

    static func expired(secure: Bool) -> Cookie {
        Cookie(name: name, value: "", maxAge: 0, path: "/login", secure: secure, httpOnly: true, sameSite: .lax)
    }
}

extension Console {
    /// `/login/start`: a new attempt (state, nonce, PKCE verifier), and the browser sent to the provider.
    func startProviderSignIn(_ request: Request, _ context: ConsoleContext, provider: any IdentityProvider) async throws -> Response {
        let next = Self.localPath(FormFields.query(of: request)["next"])
        // Locked out: say so now, not after a round trip through the provider.
        if let locked = await lockedOut(context.client(of: request, behindProxy: settings.behindProxy), provider: provider) { return locked }
        let attempt = SignInAttempt(state: SessionToken.make(), nonce: SessionToken.make(), codeVerifier: SessionToken.make())
        let browser = SessionToken.make()
        let url: String
        do {
            url = try await provider.signInURL(for: attempt)
        } catch let refusal as SignInRefusal {
            logger.error("console sign-in cannot start: \(refusal.reason)")
            return signInRefused(refusal, provider: provider, next: next)
        }
        await pendingSignIns.add(.init(attempt: attempt, browserSHA256: SessionToken.sha256(browser), next: next, started: Date()))
        var response = Self.redirect(url)
        response.setCookie(SignInCookie.cookie(browser, secure: settings.secureCookies))
        return response
    }

    /// `/login/callback`: the provider sends the browser back with a code (or an error) and the
    /// state; the code is redeemed, the ID token checked, and the person signed in with the role
    /// `[serve.auth]` gives them. Nothing of the query (the code) reaches the log.
    func finishProviderSignIn(_ request: Request, _ context: ConsoleContext, provider: any IdentityProvider, access: ConsoleAccess) async throws -> Response {
        let query = FormFields.query(of: request)
        let client = context.client(of: request, behindProxy: settings.behindProxy)
        if let locked = await lockedOut(client, provider: provider) { return locked }
        /// Refused: counted against this address; the browser's sign-in cookie is cleared once
        /// the state named a sign-in of this console (else a link with any state could cancel
        /// someone's sign-in in progress).
        func refuse(_ status: HTTPResponse.Status, _ reason: String, next: String = "/", ended: Bool = true) async -> Response {
            await limiter.failed(Self.signInLimit(client))
            logger.warning("console sign-in refused from \(client): \(reason)")
            var response = pages.html("signin", SignInPage(next: next, problem: "Not signed in: \(Self.sentence(reason))", provider: provider.name), status: status)
            if ended { response.setCookie(SignInCookie.expired(secure: settings.secureCookies)) }
            return response
        }
        guard let state = query["state"], let pending = await pendingSignIns.take(state) else {
            // A reloaded callback page of someone signed in already: nothing to refuse.
            if context.visitor != nil { return Self.redirect("/") }
            return await refuse(.badRequest, "this sign-in is unknown or was finished already (a reloaded page, a link used twice, or a console restarted in between); sign in again",
                                ended: false)
        }
        guard let browser = request.cookies[SignInCookie.name]?.value, SessionToken.sha256(browser) == pending.browserSHA256 else {
            return await refuse(.badRequest, "this sign-in was started in another browser; sign in again from this one", next: pending.next)
        }
        guard Date().timeIntervalSince(pending.started) < PendingSignIns.lifetime else {
            return await refuse(.badRequest, "this sign-in took longer than ten minutes; sign in again", next: pending.next)
        }
        if let error = query["error"] {
            let said = query["error_description"]?.split(whereSeparator: \.isNewline).first.map(String.init)
            return await refuse(.unauthorized, "\(provider.name) did not sign you in (\(error)\(said.map { ": \($0)" } ?? ""))", next: pending.next)
        }
        guard let code = query["code"], !code.isEmpty else {
            return await refuse(.badRequest, "\(provider.name) sent no code back", next: pending.next)
        }
        let identity: SignedInIdentity
        do {
            identity = try await provider.identity(code: code, attempt: pending.attempt)
        } catch let refusal as SignInRefusal {
            if refusal.forAdministrator {
                logger.error("console sign-in: \(refusal.reason)")
                return signInRefused(refusal, provider: provider, next: pending.next)
            }
            return await refuse(.unauthorized, refusal.reason, next: pending.next)
        }
        guard let role = access.role(of: identity) else {
            return await refuse(.forbidden, "\(identity.mail) may not use this console; an administrator can add it to approvers or viewers in [serve.auth] of portrait.toml", next: pending.next)
        }
        await limiter.succeeded(Self.signInLimit(client))
        logger.info("console sign-in: \(identity.mail) (\(role.rawValue)) through \(provider.name)")
        var response = try await openSession(name: identity.mail, role: role, next: pending.next)
        response.setCookie(SignInCookie.expired(secure: settings.secureCookies))
        return response
    }

    /// A reason as a sentence: the provider's own text often ends in a full stop already.
    private static func sentence(_ reason: String) -> String {
        reason.hasSuffix(".") ? reason : reason + "."
    }

    /// Failed sign-ins through the provider are counted per client address.
    private static func signInLimit(_ client: String) -> String { "openid \(client)" }

    /// The sign-in page saying until when, if this address failed too often.
    private func lockedOut(_ client: String, provider: any IdentityProvider) async -> Response? {
        guard let until = await limiter.lockedUntil(Self.signInLimit(client)) else { return nil }
        logger.warning("console sign-in refused from \(client): too many failed attempts")
        return pages.html("signin", SignInPage(problem: "Too many failed sign-ins from this computer. \(Self.tryAgain(after: until))",
                                               provider: provider.name), status: .tooManyRequests)
    }

    /// The provider cannot be reached, or is set up wrong: nothing the person can fix.
    private func signInRefused(_ refusal: SignInRefusal, provider: any IdentityProvider, next: String) -> Response {
        pages.html("signin", SignInPage(next: next, problem: "Signing in with \(provider.name) does not work right now: \(Self.sentence(refusal.reason)) Tell the console's administrator.",
                                        provider: provider.name), status: .badGateway)
    }
}
