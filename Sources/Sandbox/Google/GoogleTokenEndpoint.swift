import Crypto
import CryptoExtras
import Foundation
import PortraitCore

/// Google's OAuth 2.0 token endpoint for a service account with domain-wide delegation: an RS256
/// JWT bearer assertion signed with the account's key, acting as a user of the domain, for
/// delegated scopes only. Errors are Google's `{"error", "error_description"}` answers.
struct GoogleTokenEndpoint: Sendable {
    /// Google's own token URI, which an assertion may name as its audience wherever it is sent.
    static let googleTokenURI = "https://oauth2.googleapis.com/token"

    let options: SandboxOptions
    let keyId: String
    let privateKey: _RSA.Signing.PrivateKey

    init(options: SandboxOptions) throws {
        self.options = options
        privateKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        keyId = Data(SHA256.hash(data: privateKey.publicKey.derRepresentation)).prefix(20).map { String(format: "%02x", $0) }.joined()
    }

    /// The JSON key file Google gives for the service account, with `token_uri` pointing here.
    func keyFile(tokenURI: String) -> Data {
        let object: [String: Any] = [
            "type": "service_account",
            "project_id": "portrait-sandbox",
            "private_key_id": keyId,
            "private_key": privateKey.pkcs8PEMRepresentation + "\n",
            "client_email": options.googleServiceAccount,
            "client_id": options.googleClientId,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": tokenURI,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "universe_domain": "googleapis.com",
        ]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }

    /// What a valid assertion is granted, or Google's refusal.
    enum Verdict: Sendable {
        case granted(subject: String, scopes: Set<String>)
        case refused(SandboxResponse)
    }

    /// Checks a token request; the failure is Google's error answer.
    func verify(_ request: SandboxRequest, knownUser: (String) -> Bool) -> Verdict {
        let form = request.formFields
        guard form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer" else {
            return .refused(failure(400, "unsupported_grant_type", "Invalid grant_type: \(form["grant_type"] ?? "")"))
        }
        guard let jwt = form["assertion"] else {
            return .refused(failure(400, "invalid_request", "Missing required parameter: assertion"))
        }
        guard let received = ReceivedJWT(jwt) else {
            return .refused(failure(400, "invalid_grant", "Invalid JWT: the assertion is not a signed JWT."))
        }
        let (header, claims) = (received.header, received.claims)
        guard claims["iss"] as? String == options.googleServiceAccount else {
            return .refused(failure(400, "invalid_grant", "Invalid grant: account not found"))
        }
        let signature = _RSA.Signing.RSASignature(rawRepresentation: received.signature)
        guard header["alg"] as? String == "RS256", header["kid"] == nil || header["kid"] as? String == keyId,
              privateKey.publicKey.isValidSignature(signature, for: received.signingInput, padding: .insecurePKCS1v1_5) else {
            return .refused(failure(400, "invalid_grant", "Invalid JWT Signature."))
        }
        let ownURI = request.base + request.path
        guard let audience = claims["aud"] as? String, audience == ownURI || audience == Self.googleTokenURI else {
            return .refused(failure(400, "invalid_grant", "Invalid JWT: Failed audience check. The right audience is \(Self.googleTokenURI)"))
        }
        let now = Int(Date().timeIntervalSince1970)
        guard let iat = claims["iat"] as? Int, let exp = claims["exp"] as? Int,
              !"\(claims["iat"]!)".contains("."), !"\(claims["exp"]!)".contains("."),
              iat <= now + 60, exp > now, exp > iat, exp - iat <= 3600 else {
            return .refused(failure(400, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."))
        }
        guard let subject = claims["sub"] as? String, knownUser(subject) else {
            return .refused(failure(400, "invalid_grant", "Invalid email or User ID"))
        }
        let scopes = Set(((claims["scope"] as? String) ?? "").split(separator: " ").map(String.init))
        guard !scopes.isEmpty else {
            return .refused(failure(400, "invalid_scope", "Empty or missing scope not allowed."))
        }
        guard scopes.isSubset(of: options.googleDelegatedScopes) else {
            return .refused(failure(401, "unauthorized_client", "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."))
        }
        return .granted(subject: subject.lowercased(), scopes: scopes)
    }

    private func failure(_ status: Int, _ error: String, _ description: String) -> SandboxResponse {
        .json(.init(statusCode: status), ["error": error, "error_description": description])
    }
}
