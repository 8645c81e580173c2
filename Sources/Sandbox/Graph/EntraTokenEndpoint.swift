import Crypto
import CryptoExtras
import Foundation
import PortraitCore
import X509

/// The Microsoft identity platform's client-credentials grant, as far as the sandbox needs it:
/// a client secret, or a client assertion signed with the registered certificate's key.
struct EntraTokenEndpoint: Sendable {
    struct Registered: Sendable {
        let sha256Thumbprint: String
        let sha1Thumbprint: String
        let publicKey: _RSA.Signing.PublicKey
    }

    let options: SandboxOptions
    let certificate: Registered?

    init(options: SandboxOptions) throws {
        self.options = options
        if let pem = options.certificatePEM {
            let parsed = try Certificate(pemEncoded: pem)
            guard let key = _RSA.Signing.PublicKey(parsed.publicKey) else {
                throw SandboxError("the sandbox's certificate does not hold an RSA key")
            }
            let der = Data(try parsed.serializeAsPEM().derBytes)
            certificate = Registered(
                sha256Thumbprint: Base64URL.encode(Data(SHA256.hash(data: der))),
                sha1Thumbprint: Base64URL.encode(Data(Insecure.SHA1.hash(data: der))),
                publicKey: key)
        } else {
            certificate = nil
        }
    }

    /// Checks a token request; the failure is the identity platform's error answer.
    func verify(_ request: SandboxRequest, tenant: String, usedAssertionIds: inout Set<String>) -> SandboxResponse? {
        guard tenant == options.tenant || tenant == options.tenantId else {
            return failure(400, "invalid_request", 90002, "Tenant '\(tenant)' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.")
        }
        let form = request.formFields
        guard form["grant_type"] == "client_credentials" else {
            return failure(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        }
        guard form["client_id"] == options.clientId else {
            return failure(400, "unauthorized_client", 700016, "Application with identifier '\(form["client_id"] ?? "")' was not found in the directory '\(tenant)'.")
        }
        guard let scope = form["scope"], !scope.isEmpty else {
            return failure(400, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.")
        }
        guard scope.hasSuffix("/.default") else {
            return failure(400, "invalid_scope", 1002012, "The provided value for scope \(scope) is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")
        }
        // The resource is the cloud's Graph, named by its URI or app id, whatever host the
        // requests are then sent to.
        guard Self.graphScopes.contains(scope) else {
            return failure(400, "invalid_scope", 70011, "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope \(scope) is not valid.")
        }
        if let secret = form["client_secret"] {
            guard let expected = options.clientSecret, ConstantTime.equal(secret, expected) else {
                return failure(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.")
            }
            return nil
        }
        guard form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
              let assertion = form["client_assertion"] else {
            return failure(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
        }
        return verifyAssertion(assertion, audience: request.base + request.path, usedIds: &usedAssertionIds)
    }

    private func verifyAssertion(_ jwt: String, audience: String, usedIds: inout Set<String>) -> SandboxResponse? {
        guard let received = ReceivedJWT(jwt) else {
            return failure(401, "invalid_client", 50027, "JWT token is invalid or malformed.")
        }
        let (header, claims) = (received.header, received.claims)
        guard let registered = certificate else {
            return failure(401, "invalid_client", 700027, "Client assertion failed signature validation: no certificate is registered for the app.")
        }
        let padding: _RSA.Signing.Padding
        switch header["alg"] as? String {
        case "PS256":
            guard header["x5t#S256"] as? String == registered.sha256Thumbprint else {
                return failure(401, "invalid_client", 700027, "Client assertion failed signature validation. The key was not found: x5t#S256 does not match a registered certificate.")
            }
            padding = .PSS
        case "RS256":
            guard header["x5t"] as? String == registered.sha1Thumbprint else {
                return failure(401, "invalid_client", 700027, "Client assertion failed signature validation. The key was not found: x5t does not match a registered certificate.")
            }
            padding = .insecurePKCS1v1_5
        default:
            return failure(401, "invalid_client", 5002738, "Client assertion is signed with an unsupported algorithm.")
        }
        let signature = _RSA.Signing.RSASignature(rawRepresentation: received.signature)
        guard registered.publicKey.isValidSignature(signature, for: received.signingInput, padding: padding) else {
            return failure(401, "invalid_client", 700027, "Client assertion failed signature validation.")
        }
        let now = Int(Date().timeIntervalSince1970)
        guard claims["aud"] as? String == audience else {
            return failure(401, "invalid_client", 700021, "Client assertion audience claim does not match the token endpoint \(audience).")
        }
        guard claims["iss"] as? String == options.clientId, claims["sub"] as? String == options.clientId else {
            return failure(401, "invalid_client", 700021, "Client assertion application identifier doesn't match 'client_id' parameter.")
        }
        guard let exp = claims["exp"] as? Int, let nbf = claims["nbf"] as? Int, exp > now, nbf <= now + 300, exp - nbf <= 3600 else {
            return failure(401, "invalid_client", 700024, "Client assertion is not within its valid time range (exp, nbf must be whole seconds).")
        }
        guard let jti = claims["jti"] as? String, usedIds.insert(jti).inserted else {
            return failure(401, "invalid_client", 7000216, "Client assertion was replayed: its jti was used before.")
        }
        return nil
    }

    /// Microsoft Graph in the global cloud, the one the sandbox plays.
    static let graphScopes: Set<String> = ["https://graph.microsoft.com/.default", "00000003-0000-0000-c000-000000000000/.default"]

    private func failure(_ status: Int, _ error: String, _ code: Int, _ description: String) -> SandboxResponse {
        .json(.init(statusCode: status), [
            "error": error,
            "error_description": "AADSTS\(code): \(description)\r\nTrace ID: \(UUID().uuidString)\r\nTimestamp: \(Date())",
            "error_codes": [code],
        ])
    }
}

struct SandboxError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
