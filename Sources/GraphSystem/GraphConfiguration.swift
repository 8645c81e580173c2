import Foundation
import PortraitCore
import PortraitSettings

/// `type = "graph"`: tenant, client_id, a credential, the cloud and its URLs, match, ca_file and
/// the rendition keys.
extension GraphSystem: SystemType {
    public static let typeName = "graph"

    public static func make(name: String, table: ConfigTable, context: SystemContext) throws -> any PhotoSystem {
        let tenant = try table.requiredString("tenant")
        let clientId = try table.requiredString("client_id")
        let cloud = try table.choice("cloud", of: GraphSettings.Cloud.self) ?? .global
        let graphURL = try table.serviceURL("graph_url", example: "https://graph.microsoft.com")
        let loginURL = try table.serviceURL("login_url", example: "https://login.microsoftonline.com")

        let secret = try table.secret("client_secret", environment: context.environment)
        let certificate = try table.fileURL("certificate_file")
        let keyFile = try table.fileURL("private_key_file")
        let algorithm = try table.choice("assertion_alg", of: GraphSettings.AssertionAlgorithm.self)
        let credential: GraphSettings.Credential
        switch (secret, certificate, keyFile) {
        case (let secret?, nil, nil):
            if algorithm != nil { throw table.error("assertion_alg", "only applies with certificate_file and private_key_file") }
            credential = .secret(secret)
        case (nil, let certificate?, let keyFile?):
            guard let pem = try? String(contentsOf: certificate, encoding: .utf8) else {
                throw table.error("certificate_file", "cannot read \(certificate.path)")
            }
            let key = try table.readSecretFile(keyFile, key: "private_key_file")
            credential = .certificate(certificatePEM: pem, privateKeyPEM: key, algorithm: algorithm ?? .PS256)
        case (nil, _?, nil):
            throw table.error("certificate_file", "needs private_key_file beside it (the certificate's PEM private key)")
        case (nil, nil, _?):
            throw table.error("private_key_file", "needs certificate_file beside it (the PEM certificate registered with the app)")
        case (nil, nil, nil):
            throw table.error(nil, "needs a credential: client_secret_env, client_secret_file, or certificate_file with private_key_file")
        default:
            throw table.error("client_secret_env", "give one credential: a client secret or a certificate, not both")
        }
        var profile = try table.profile(side: 648)
        if let maxBytes = profile.maxBytes, maxBytes > GraphSettings.maxPhotoBytes {
            throw table.error("max_bytes", "Graph takes at most \(GraphSettings.maxPhotoBytes) bytes")
        }
        profile.maxBytes = profile.maxBytes ?? GraphSettings.maxPhotoBytes
        let matching = try table.choice("match", of: MatchKey.self).map { [MatchRule.same($0)] } ?? GraphSettings.defaultMatching
        let caFile = try table.fileURL("ca_file")
        let settings = GraphSettings(
            tenant: tenant, clientId: clientId, credential: credential, cloud: cloud, graphURL: graphURL, loginURL: loginURL,
            matching: matching, profile: profile, caFile: caFile?.path)
        do {
            return try GraphSystem(name: name, settings: settings, environment: context.environment)
        } catch let refusal as SystemError {
            throw table.error(refusal, credentialKey: "private_key_file")
        }
    }
}
