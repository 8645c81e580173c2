import Foundation
import PortraitCore
import Sandbox
import Testing

/// The console in a real browser (`Tests/Browser/console.py`: Debian's headless Chromium through
/// chromium-driver and Selenium), against `portrait serve` on the sandbox's tenants: HR signs in
/// through the emulated Entra tenant's sign-in page (OpenID Connect), finds a photo a person set
/// themselves in Google waiting in the queue, approves it, starts a sync from the Runs page, watches it run,
/// and the photo is then in the Entra tenant. Screenshots of every page are kept in
/// `.build/console-screenshots`.
@Suite struct ConsoleBrowserTests {
    static let project = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func hrApprovesASelfSetPhotoAndWatchsTheSyncPublishIt() async throws {
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver", "/usr/bin/python3"] {
            try #require(FileManager.default.isExecutableFile(atPath: tool),
                         "\(tool) is missing: scripts/install-deps.sh installs Debian's chromium, chromium-driver and python3-selenium")
        }
        try await withSandbox({ $0.users = 12; $0.photoFraction = 0; $0.latency = .milliseconds(300) }) { sandbox in
            let work = try Workspace()
            try work.syncSetup(sandbox: sandbox, people: 12, sync: """
                sources = ["gws", "hr"]
                targets = ["m365", "gws"]
                approval = ["gws"]
                """)
            let port = try ConsoleCLITests.freePort()
            let config = try String(contentsOf: work.path("portrait.toml"), encoding: .utf8)
            try work.write("portrait.toml", """
                [serve]
                listen = "127.0.0.1:\(port)"

                [serve.auth]
                type = "entra"
                tenant = "\(sandbox.options.tenant)"
                client_id = "\(sandbox.options.clientId)"
                client_secret_env = "\(Workspace.secretVariable)"
                login_url = "\(sandbox.baseURL)"
                approvers = ["group:\(SandboxOptions.approversGroup)"]
                viewers = ["@example.com"]

                """ + config)
            #expect(try await work.sync().status == 0)

            let mail = SamplePeople.mail(1, domain: "example.com")
            let published = try #require(await sandbox.graph.photo(ofUser: mail))
            // The person sets their own photo in Google, which Google shows over the admin's.
            await sandbox.google.setOwnPhoto(ofUser: mail, with: try newPortrait(seed: 510))
            let held = try await work.sync()
            #expect(held.json["queued"] as? Int == 1, "\(held.output)")

            // The first seeded person is in the tenant's approvers group.
            let approver = SamplePeople.mail(0, domain: "example.com")
            let server = try RunningCLI(["serve"], in: work.url, environment: [Workspace.secretVariable: "sandbox-secret"])
            defer { if server.isRunning { kill(server.pid, SIGKILL) } }
            _ = try await ConsoleCLITests.get("http://127.0.0.1:\(port)/healthz", whileRunning: server)

            let screenshots = Self.project.appendingPathComponent(".build/console-screenshots")
            let browser = try await work.cli.runningTool("/usr/bin/python3", [
                Self.project.appendingPathComponent("Tests/Browser/console.py").path,
                "--url", "http://127.0.0.1:\(port)", "--user", approver, "--password-env", "SIGN_IN_PASSWORD",
                "--person", mail, "--screenshots", screenshots.path,
            ], environment: ["SIGN_IN_PASSWORD": sandbox.options.signInPassword])
            #expect(browser.status == 0, "\(browser.stdout)\n\(browser.stderr)")
            #expect(browser.stdout.contains("progress: Sync running"), "\(browser.stdout)")
            #expect(browser.stdout.contains("shown now: gws, hr, m365"), "\(browser.stdout)")
            #expect(browser.stdout.contains("system: m365 | graph:contoso.test | target | answers; 12 people listed"), "\(browser.stdout)")

            kill(server.pid, SIGTERM)
            let log = try await server.finish(within: .seconds(60))
            #expect(log.stderr.contains("console sign-in: \(approver) (approver) through Microsoft"), "\(log.stderr)")
            #expect(log.stderr.contains("console: \(approver) approved the photo of \"\(mail)\" from gws"), "\(log.stderr)")
            #expect(log.stderr.contains("sync started by \(approver) ended ok"), "\(log.stderr)")
            // The code and the tokens stay out of the log, as does the client secret.
            #expect(log.stderr.contains("GET /login/callback 303"), "\(log.stderr)")
            #expect(!log.stderr.contains("sandbox-secret") && !log.stderr.contains("code=") && !log.stderr.contains("eyJ"))

            // Published: the tenant shows the photo HR approved, no longer the one before.
            #expect(await sandbox.graph.photo(ofUser: mail) != published)
            let history = try await work.cli.running(["history", mail, "--config", "portrait.toml"])
            #expect(history.stdout.contains("approved by \(approver) — checked by HR"), "\(history.stdout)")
        }
    }
}
