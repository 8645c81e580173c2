import ArgumentParser
import Foundation
import PortraitCore
import Sandbox

struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run an emulated Microsoft 365 tenant (Graph, Entra ID sign-in) and Google Workspace domain (Directory API, OAuth) on 127.0.0.1, to try Portrait without a cloud account.",
        discussion: """
            Microsoft: the app's client id is 11111111-2222-4333-8444-555555555555 and its client \
            secret `sandbox-secret` (not a real secret: the sandbox only listens on this machine). \
            Google: --google-key-file writes a throwaway service-account key for the domain, whose \
            administrator is admin@example.com. Both hold the same people, those `portrait samples` \
            makes photos of; they sign in to the console through the tenant or the domain with the \
            password `sandbox`. GET /_sandbox/stats shows the counters of each.
            """
    )

    @Option(help: "The port to listen on; 0 picks a free one.")
    var port = 8650

    @Option(help: "How many users the tenant has.")
    var users = 100

    @Option(help: "The share of users who start with a photo (0 to 1).")
    var photoFraction = 0.5

    @Option(help: "Milliseconds added to every Graph and Google request.")
    var latencyMs = 0

    @Option(help: "The share of Graph and Google requests answered with a fault: 500, 503 with Retry-After, a dropped connection, a truncated body (0 to 1).")
    var faultRate = 0.0

    @Option(help: "The Retry-After of an injected 503, in seconds.")
    var faultRetryAfter = 1

    @Option(help: "Seconds an access token lives.")
    var tokenTtl = 3600

    @Option(help: ArgumentHelp("A limit Graph puts on the app, in place of the documented 4 photo requests at once; repeat for several, `none` for no limit: 20/1s (requests per seconds), 4-at-once, then ,photos or ,writes (which requests count), ,no-retry-after, ,halved:10-30 (seconds of the run).", valueName: "limit"))
    var graphLimit: [String] = []

    @Option(help: ArgumentHelp("A limit Google puts on the admin, in place of the documented 2400/60s,no-retry-after; the same forms as --graph-limit.", valueName: "limit"))
    var googleLimit: [String] = []

    @Option(help: "Write the Google service account's JSON key here (mode 600), for a `google` system's service_account_file.")
    var googleKeyFile: String?

    @Option(help: "A PEM certificate to register with the app, for certificate sign-in.")
    var certificate: String?

    @Option(help: "Write the base URL to this file once listening (for scripts).")
    var readyFile: String?

    func validate() throws {
        guard (0...1).contains(photoFraction), (0...1).contains(faultRate) else {
            throw ValidationError("--photo-fraction and --fault-rate are between 0 and 1")
        }
        guard users >= 0, latencyMs >= 0, tokenTtl >= 1, faultRetryAfter >= 0 else {
            throw ValidationError("counts and times must not be negative")
        }
        guard (0...65_535).contains(port) else { throw ValidationError("--port is from 0 to 65535 (0 picks a free one)") }
        guard users <= 1_000_000 else { throw ValidationError("--users is at most 1000000") }
        _ = try Self.limits(graphLimit, option: "--graph-limit")
        _ = try Self.limits(googleLimit, option: "--google-limit")
    }

    func run() async throws {
        var options = SandboxOptions()
        options.port = port
        options.users = users
        options.photoFraction = photoFraction
        options.latency = .milliseconds(latencyMs)
        options.faultRate = faultRate
        options.faultRetryAfter = faultRetryAfter
        options.tokenLifetime = tokenTtl
        if !graphLimit.isEmpty { options.graphLimits = try Self.limits(graphLimit, option: "--graph-limit") }
        if !googleLimit.isEmpty { options.googleLimits = try Self.limits(googleLimit, option: "--google-limit") }
        if let certificate {
            guard let pem = try? String(contentsOfFile: certificate, encoding: .utf8) else {
                throw ValidationError("cannot read --certificate \(certificate)")
            }
            options.certificatePEM = pem
        }
        let sandbox: Sandbox
        do {
            sandbox = try await Sandbox.start(options)
        } catch {
            Terminal.err("error: cannot listen on 127.0.0.1:\(port): \(error) — is another sandbox running there? Pass --port 0 to pick a free port.")
            throw CommandExit(status: .unreachable)
        }
        if let googleKeyFile {
            let url = URL(fileURLWithPath: googleKeyFile)
            let key = sandbox.google.serviceAccountKey(tokenURI: sandbox.baseURL + "/token")
            guard FileManager.default.createFile(atPath: url.path, contents: key, attributes: [.posixPermissions: 0o600]) else {
                Terminal.err("error: cannot write --google-key-file \(url.path)")
                await sandbox.stop()
                throw CommandExit(status: .usage)
            }
        }
        Terminal.err("""
            Sandbox on \(sandbox.baseURL) — \(users) users in Microsoft 365 tenant \(options.tenant) and Google domain \(options.mailDomain). Systems for portrait.toml:

            [systems.m365]
            type = "graph"
            tenant = "\(options.tenant)"
            client_id = "\(options.clientId)"
            client_secret_env = "PORTRAIT_SANDBOX_SECRET"   # export PORTRAIT_SANDBOX_SECRET=sandbox-secret
            graph_url = "\(sandbox.baseURL)"
            login_url = "\(sandbox.baseURL)"

            [systems.gws]
            type = "google"
            service_account_file = "\(googleKeyFile ?? "google-key.json")"\(googleKeyFile == nil ? "   # start the sandbox with --google-key-file google-key.json" : "")
            admin = "\(options.googleAdmin)"
            api_url = "\(sandbox.baseURL)"

            # The console's sign-in through the tenant (people sign in with the password "\(options.signInPassword)";
            # \(SamplePeople.mail(0, domain: options.mailDomain)) and \(SamplePeople.mail(1, domain: options.mailDomain)) are in the approvers group)
            [serve.auth]
            type = "entra"
            tenant = "\(options.tenant)"
            client_id = "\(options.clientId)"
            client_secret_env = "PORTRAIT_SANDBOX_SECRET"
            login_url = "\(sandbox.baseURL)"
            approvers = ["group:\(SandboxOptions.approversGroup)"]
            viewers = ["@\(options.mailDomain)"]

            Stop with Ctrl-C.
            """)
        if let readyFile {
            try Data(sandbox.baseURL.utf8).write(to: URL(fileURLWithPath: readyFile), options: .atomic)
        }
        await Self.untilTerminated()
        await sandbox.stop()
    }

    /// The limits `--graph-limit` or `--google-limit` name; `none` for none.
    private static func limits(_ specs: [String], option: String) throws -> [LimitShape] {
        guard specs != ["none"] else { return [] }
        return try specs.map { spec in
            guard let shape = LimitShape(spec: spec) else {
                throw ValidationError("\(option) \(spec): not a limit; write 20/1s (requests per seconds) or 4-at-once, then any of ,photos ,writes ,no-retry-after ,halved:10-30")
            }
            return shape
        }
    }

    /// Returns on SIGINT or SIGTERM.
    private static func untilTerminated() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = Once(continuation)
            for signal in [SIGINT, SIGTERM] {
                Foundation.signal(signal, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
                source.setEventHandler { once.resume() }
                source.resume()
                Once.keep(source)
            }
        }
    }
}

/// Resumes a continuation once, whichever signal comes first.
private final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, Never>?
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }

    func resume() {
        lock.withLock {
            continuation?.resume()
            continuation = nil
        }
    }

    static func keep(_ source: any DispatchSourceSignal) { sources.append(source) }
}
