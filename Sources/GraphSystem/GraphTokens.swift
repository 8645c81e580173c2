import Foundation
import PortraitCore
import PortraitHTTP

/// Client-credentials tokens for Graph from the Microsoft identity platform.
struct GraphTokens: Sendable {
    let system: String
    let settings: GraphSettings
    let assertion: ClientAssertion?
    /// Its own throttle: sign-in is a different service from Graph.
    let client: ThrottledClient

    init(system: String, settings: GraphSettings, http: HTTPService) throws {
        self.system = system
        self.settings = settings
        client = ThrottledClient(name: system, http: http, throttle: Throttle(start: 1, maximum: 2),
                                 policy: RetryPolicy(maxAttempts: 3, budget: .seconds(30)))
        if case .certificate(let certificate, let key, let algorithm) = settings.credential {
            do {
                assertion = try ClientAssertion(certificatePEM: certificate, privateKeyPEM: key, algorithm: algorithm)
            } catch let error as SystemError {
                throw SystemError(error.kind, "\(system): \(error.message)")
            }
        } else {
            assertion = nil
        }
    }

    func fetch() async throws -> (token: Secret, lifetime: Duration) {
        let reply: HTTPReply
        do {
            reply = try await client.perform {
                HTTPRequestSpec(method: .POST, url: settings.tokenURL,
                                headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
                                body: Data(try form().utf8))
            }
        } catch where error is RetriesExhausted || error is Unreachable {
            throw SystemError(.unreachable, "\(system): cannot reach the sign-in service \(settings.loginURL): \(error)")
        }
        guard reply.status == 200 else {
            throw GraphError.tokenFailure(reply, system: system, settings: settings)
        }
        let object = (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any]
        guard let token = object?["access_token"] as? String else {
            throw SystemError(.unreachable, "\(system): the sign-in service answered without an access token")
        }
        let seconds = (object?["expires_in"] as? Int) ?? Int((object?["expires_in"] as? String) ?? "") ?? 3599
        return (Secret(token), .seconds(max(1, seconds)))
    }

    private func form() throws -> String {
        var fields = [
            ("grant_type", "client_credentials"),
            ("client_id", settings.clientId),
            ("scope", settings.scope),
        ]
        switch settings.credential {
        case .secret(let secret):
            fields.append(("client_secret", secret.reveal()))
        case .certificate:
            guard let assertion else { break }
            fields.append(("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"))
            fields.append(("client_assertion", try assertion.make(clientId: settings.clientId, audience: settings.tokenURL)))
        }
        return URLEncoding.form(fields)
    }
}
