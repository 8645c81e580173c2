import Crypto
import CryptoExtras
import Foundation
import PortraitCore
import PortraitHTTP

/// Access tokens for the Directory API from Google's OAuth token endpoint: an RS256 JWT bearer
/// assertion by the service account, acting as the configured admin, for one scope.
struct GoogleTokens: Sendable {
    let system: String
    let settings: GoogleSettings
    let tokenURL: String
    let signingKey: _RSA.Signing.PrivateKey
    /// Its own throttle: the token endpoint is a different service from the Directory API.
    let client: ThrottledClient

    init(system: String, settings: GoogleSettings, tokenURL: String, http: HTTPService) throws {
        self.system = system
        self.settings = settings
        self.tokenURL = tokenURL
        do {
            signingKey = try _RSA.Signing.PrivateKey(pemRepresentation: settings.key.privateKey.reveal())
        } catch {
            throw SystemError(.misconfigured, "\(settings.key.file) holds no RSA private key in `private_key`; download a new JSON key for the service account")
        }
        client = ThrottledClient(name: system, http: http, throttle: Throttle(start: 1, maximum: 2),
                                 policy: RetryPolicy(maxAttempts: 3, budget: .seconds(30)))
    }

    /// The signed assertion: `iss` the service account, `sub` the admin, `aud` the token URI,
    /// valid for the hour Google allows at most, in whole seconds.
    func assertion(scope: String, now: Date = Date()) throws -> String {
        let header = ["alg": "RS256", "typ": "JWT", "kid": settings.key.privateKeyId]
        let issued = Int(now.timeIntervalSince1970)
        let claims: [String: Any] = [
            "iss": settings.key.clientEmail, "sub": settings.admin, "scope": scope,
            "aud": tokenURL, "iat": issued, "exp": issued + 3600,
        ]
        let signingInput = try Base64URL.encode(JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes]))
            + "." + Base64URL.encode(JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys, .withoutEscapingSlashes]))
        let signature = try signingKey.signature(for: Data(signingInput.utf8), padding: .insecurePKCS1v1_5)
        return signingInput + "." + Base64URL.encode(signature.rawRepresentation)
    }

    func fetch(scope: String) async throws -> (token: Secret, lifetime: Duration) {
        let reply: HTTPReply
        do {
            reply = try await client.perform {
                let form = URLEncoding.form([("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                                             ("assertion", try assertion(scope: scope))])
                return HTTPRequestSpec(method: .POST, url: tokenURL,
                                       headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
                                       body: Data(form.utf8))
            }
        } catch where error is RetriesExhausted || error is Unreachable {
            throw SystemError(.unreachable, "\(system): cannot reach Google's token endpoint \(tokenURL): \(error)")
        }
        guard reply.status == 200 else {
            throw GoogleError.tokenFailure(reply, system: system, settings: settings, scope: scope)
        }
        let object = (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any]
        guard let token = object?["access_token"] as? String else {
            throw SystemError(.unreachable, "\(system): Google's token endpoint answered without an access token")
        }
        let seconds = (object?["expires_in"] as? Int) ?? 3599
        return (Secret(token), .seconds(max(1, seconds)))
    }
}
