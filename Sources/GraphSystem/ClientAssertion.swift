import Crypto
import CryptoExtras
import Foundation
import PortraitCore

/// The signed JWT that proves the app holds its certificate's private key.
struct ClientAssertion {
    let certificateDER: Data
    let privateKey: _RSA.Signing.PrivateKey
    let algorithm: GraphSettings.AssertionAlgorithm

    init(certificatePEM: String, privateKeyPEM: Secret, algorithm: GraphSettings.AssertionAlgorithm) throws {
        guard let der = PEM.firstBlock(labelled: "CERTIFICATE", in: certificatePEM) else {
            throw SystemError(.misconfigured, "certificate_file holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
        do {
            privateKey = try _RSA.Signing.PrivateKey(pemRepresentation: privateKeyPEM.reveal())
        } catch {
            throw SystemError(.misconfigured, "private_key_file holds no RSA private key in PEM form")
        }
        certificateDER = der
        self.algorithm = algorithm
    }

    /// A new assertion for one token request: unique `jti`, valid for ten minutes.
    func make(clientId: String, audience: String, now: Date = Date()) throws -> String {
        var header: [String: String] = ["alg": algorithm.rawValue, "typ": "JWT"]
        switch algorithm {
        case .PS256: header["x5t#S256"] = Base64URL.encode(Data(SHA256.hash(data: certificateDER)))
        case .RS256: header["x5t"] = Base64URL.encode(Data(Insecure.SHA1.hash(data: certificateDER)))
        }
        // Whole seconds: token endpoints reject fractional NumericDates.
        let issued = Int(now.timeIntervalSince1970)
        let claims: [String: Any] = [
            "aud": audience, "iss": clientId, "sub": clientId, "jti": UUID().uuidString,
            "nbf": issued, "iat": issued, "exp": issued + 600,
        ]
        let signingInput = try Base64URL.encode(JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
            + "." + Base64URL.encode(JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys]))
        let padding: _RSA.Signing.Padding = algorithm == .PS256 ? .PSS : .insecurePKCS1v1_5
        let signature = try privateKey.signature(for: Data(signingInput.utf8), padding: padding)
        return signingInput + "." + Base64URL.encode(signature.rawRepresentation)
    }
}

/// PEM armour: `-----BEGIN LABEL-----`, base64, `-----END LABEL-----`.
public enum PEM {
    public static func firstBlock(labelled label: String, in text: String) -> Data? {
        guard let begin = text.range(of: "-----BEGIN \(label)-----"),
              let end = text.range(of: "-----END \(label)-----", range: begin.upperBound..<text.endIndex)
        else { return nil }
        let body = text[begin.upperBound..<end.lowerBound].filter { !$0.isWhitespace }
        return Data(base64Encoded: String(body))
    }
}
