import Foundation
import PortraitCore
import Sandbox
import Testing

/// A workspace whose photographer's folder maps to the sandbox domain's people, with the domain
/// configured as target `gws`.
extension Workspace {
    /// Writes the sandbox's service-account key (mode 600) and a configuration with `hr` and
    /// `gws`; `extra` lines go into the `gws` table.
    func googleSetup(sandbox: Sandbox, people: Int, admin: String? = nil, extra: String = "") throws {
        let source = try photographer(people: people) { SamplePeople.mail($0, domain: sandbox.options.mailDomain) }
        try write("google-key.json", sandbox.google.serviceAccountKey(tokenURI: sandbox.baseURL + "/token"))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path("google-key.json").path)
        try write("portrait.toml", """
            \(source)

            [systems.gws]
            type = "google"
            service_account_file = "google-key.json"
            admin = "\(admin ?? sandbox.options.googleAdmin)"
            api_url = "\(sandbox.baseURL)"
            \(extra)
            """)
    }

    func googlePush(_ extra: String...) async throws -> CLI.Result {
        try await cli.running(["push", "--config", "portrait.toml", "--from", "hr", "--to", "gws", "--json"] + extra)
    }

    func googlePull(into folder: String = "pulled") async throws -> CLI.Result {
        try await cli.running(["pull", "--config", "portrait.toml", "--from", "gws", "--out", folder, "--json"])
    }
}
