import CryptoExtras
import Foundation
import Sandbox
import PortraitCore
import Testing
import X509

/// A workspace whose photographer's folder maps to the sandbox tenant's people, with the tenant
/// configured as target `m365`.
extension Workspace {
    static let secretVariable = "PORTRAIT_TEST_GRAPH_SECRET"

    /// `people` photos named for the sandbox's first users; `credential` is the TOML for it.
    func graphSetup(sandbox: Sandbox, people: Int, credential: String? = nil, tenant: String = "contoso.test") throws {
        let source = try photographer(people: people) { SamplePeople.mail($0, domain: sandbox.options.mailDomain) }
        try write("portrait.toml", """
            \(source)

            [systems.m365]
            type = "graph"
            tenant = "\(tenant)"
            client_id = "\(sandbox.options.clientId)"
            \(credential ?? "client_secret_env = \"\(Self.secretVariable)\"")
            graph_url = "\(sandbox.baseURL)"
            login_url = "\(sandbox.baseURL)"
            """)
    }

    func graphPush(_ extra: String...) async throws -> CLI.Result {
        try await cli.running(["push", "--config", "portrait.toml", "--from", "hr", "--to", "m365", "--json"] + extra,
                    environment: [Self.secretVariable: "sandbox-secret"])
    }

    func graphPull(into folder: String = "pulled") async throws -> CLI.Result {
        try await cli.running(["pull", "--config", "portrait.toml", "--from", "m365", "--out", folder, "--json"],
                    environment: [Self.secretVariable: "sandbox-secret"])
    }
}

/// Starts a sandbox for one test and stops it afterwards, even when the test fails.
func withSandbox<T>(_ configure: (inout SandboxOptions) -> Void = { _ in }, _ body: (Sandbox) async throws -> T) async throws -> T {
    var options = SandboxOptions()
    options.users = 40
    options.photoFraction = 0
    configure(&options)
    return try await Sandbox.run(options, body)
}

/// A self-signed certificate and its key, as an admin would register with an app.
struct TestCertificate {
    let certificatePEM: String
    let privateKeyPEM: String

    init() throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let name = try DistinguishedName { CommonName("portrait-test") }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: Date().addingTimeInterval(-60), notValidAfter: Date().addingTimeInterval(3600),
            issuer: name, subject: name, signatureAlgorithm: .sha256WithRSAEncryption,
            extensions: Certificate.Extensions {}, issuerPrivateKey: .init(key))
        certificatePEM = try certificate.serializeAsPEM().pemString
        privateKeyPEM = key.pemRepresentation
    }

    /// Writes both into the workspace (the key readable by its owner only) and returns the TOML.
    func install(in work: Workspace, algorithm: String = "PS256") throws -> String {
        try work.write("app.crt", certificatePEM)
        try work.write("app.key", privateKeyPEM)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: work.path("app.key").path)
        return "certificate_file = \"app.crt\"\nprivate_key_file = \"app.key\"\nassertion_alg = \"\(algorithm)\""
    }
}
