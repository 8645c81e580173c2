import ArgumentParser
import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import PortraitConsole
import PortraitCore
import PortraitEngine
import PortraitImaging
import PortraitSettings
import Prometheus
import PortraitStore

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the console: the approval queue in a browser, at http://127.0.0.1:8651 unless [serve] says otherwise (listen, TLS).",
        discussion: "People sign in with the organisation's identity provider ([serve.auth] type = \"entra\" or \"google\"), or with accounts added by `portrait user add`. Stop with Ctrl-C."
    )

    @OptionGroup var file: ConfigFileOption

    @Flag(name: [.short, .long], help: "Log more (each request is logged either way).")
    var verbose = false

    func run() async throws {
        let loaded: PortraitConfig
        let store: Store
        let signIn: SignInMethod
        let tls: ConsoleTLS?
        do {
            loaded = try file.loadConfig()
            signIn = try loaded.consoleSignIn()
            tls = try loaded.consoleTLS()
            store = try Store(path: loaded.storePath.path)
            switch signIn {
            case .local:
                let users = try await store.consoleUsers()
                guard !users.isEmpty else {
                    throw UsageError(description: "the console has no accounts yet: add one with `portrait user add NAME --role approver --config \(file.config)`")
                }
                if !users.contains(where: { $0.role == ConsoleRole.approver.rawValue }) {
                    Terminal.err("warning: no console account is an approver, so nobody can decide on photos; `portrait user role NAME approver` makes one")
                }
            case .provider(_, let access) where access.approvers.isEmpty:
                Terminal.err("warning: [serve.auth] names no approvers, so nobody can decide on photos")
            case .provider:
                break
            }
        } catch {
            throw fail("serve", error, json: false)
        }
        Terminal.startLogging(level: verbose ? .debug : .info, timestamped: true)
        var settings = loaded.console
        settings.tls = tls
        if let variable = settings.metricsTokenVariable {
            guard let token = ProcessInfo.processInfo.environment[variable], !token.isEmpty else {
                throw fail("serve", ConfigError(file: loaded.file.path, line: nil, key: "serve.metrics_token_env",
                                                message: "the environment variable \(variable) is not set; export it before running portrait serve"), json: false)
            }
            settings.metricsToken = Secret(token)
        } else if !settings.isPrivate {
            Terminal.err("warning: others can reach this console and [serve] sets no metrics_token_env: /metrics answers nobody")
        }
        let metrics = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics))
        let logger = Logger(label: "portrait.console")
        let scheduler = loaded.syncPolicy.map { _ in
            SyncScheduler(syncing: ConsoleSync(file: loaded.file), every: settings.syncEvery, logger: logger)
        }
        let console = try Console(store: store, settings: settings, policy: loaded.syncPolicy, scheduler: scheduler, signIn: signIn,
                                  checking: ConsoleCheck(file: loaded.file), metrics: metrics, logger: logger)
        await console.checkSystems()
        let address = settings.host.contains(":") ? "[\(settings.host)]:\(settings.port)" : "\(settings.host):\(settings.port)"
        let url = "\(settings.scheme)://\(address)/"
        let schedule = Task { await scheduler?.runSchedule() }
        defer { schedule.cancel() }
        do {
            try await console.application { _ in Terminal.err("Portrait console on \(url) (Ctrl-C stops it)") }.runService()
            if scheduler?.state.running == true {
                Terminal.err("Stopping: the sync in flight finishes the photos it is writing and starts no new one…")
            }
            await scheduler?.stop()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            Terminal.err("error: cannot listen on \(address): something else listens there (another `portrait serve`?); stop it, or choose another address with [serve] listen")
            throw CommandExit(status: .usage)
        } catch let error as IOError {
            Terminal.err("error: cannot listen on \(address): \(String(cString: strerror(error.errnoCode))); check [serve] listen")
            throw CommandExit(status: .usage)
        }
    }
}

/// The console's syncs, run as `portrait sync` runs them: every system of `[sync]` built from
/// portrait.toml — read again for each, so an edit applies from the next sync — the store's run
/// lock, the audit log.
struct ConsoleSync: ConsoleSyncing {
    let file: URL

    func sync(stop: StopSignal, progress: @escaping @Sendable (Int, Int) -> Void) async throws -> (outcome: String, summary: String) {
        let config = try PortraitConfig.load(from: file)
        let policy = try config.requireSyncPolicy()
        let systems = try config.syncSystems(policy)
        let lock = try RunLock(store: config.storePath.path, command: "portrait serve (a sync from the console)")
        defer { withExtendedLifetime(lock) {} }
        let store = try Store(path: config.storePath.path)
        try await store.closeAbandonedRuns()
        let counter = RunCounter(report: progress)
        let report = try await SyncEngine(store: store, pipeline: ImagePipeline(maxInputBytes: config.maxInputBytes))
            .sync(systems: systems, policy: policy, options: .init(stop: stop), progress: counter.update)
        return (report.outcome, report.summaryLine)
    }
}

/// Turns a run's progress events into people done of people listed.
final class RunCounter: Sendable {
    private let counts = NIOLockedValueBox((done: 0, total: 0))
    private let report: @Sendable (Int, Int) -> Void

    init(report: @escaping @Sendable (Int, Int) -> Void) {
        self.report = report
    }

    func update(_ event: RunProgress) {
        let now = counts.withLockedValue { counts in
            switch event {
            case .listed(let total): counts.total = total
            case .finished, .pulled: counts.done += 1
            }
            return counts
        }
        report(now.done, now.total)
    }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Manage the console's local accounts (kept in the store, passwords as bcrypt hashes).",
        subcommands: [UserAddCommand.self, UserPasswordCommand.self, UserRoleCommand.self, UserRemoveCommand.self, UserListCommand.self]
    )
}

extension ConsoleRole: ExpressibleByArgument {}

extension UsageError {
    static func noConsoleAccount(_ name: String) -> UsageError {
        UsageError(description: "the console has no account \(name) (`portrait user list` shows them)")
    }
}

/// Where `user` commands read a new password: a prompt on a terminal, or one line of stdin.
struct PasswordInput: ParsableArguments {
    @Flag(name: .long, help: "Read the password from the first line of standard input (for scripts).")
    var passwordStdin = false

    func read() throws -> String {
        let password: String
        if passwordStdin {
            password = readLine(strippingNewline: true) ?? ""
        } else {
            guard isatty(STDIN_FILENO) == 1 else {
                throw UsageError(description: "standard input is not a terminal: pass --password-stdin to read the password from it")
            }
            let first = Self.prompt("New password: ")
            guard Self.prompt("Again: ") == first else { throw UsageError(description: "the two passwords differ; nothing was changed") }
            password = first
        }
        if let problem = LocalAccounts.problem(with: password) {
            throw UsageError(description: "\(problem); nothing was changed")
        }
        return password
    }

    private static func prompt(_ text: String) -> String {
        getpass(text).map { String(cString: $0) } ?? ""
    }
}

struct UserAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a console account.")

    @OptionGroup var file: ConfigFileOption
    @OptionGroup var input: PasswordInput

    @Argument(help: "The account's name, as it signs in and as decisions are recorded.")
    var name: String

    @Option(name: .long, help: "approver (may approve and reject photos) or viewer (may look).")
    var role: ConsoleRole = .viewer

    func validate() throws {
        guard (1...64).contains(name.count), !name.contains(where: { $0.isWhitespace || $0.isNewline || ($0.asciiValue ?? 32) < 32 }) else {
            throw ValidationError("a name is 1 to 64 characters without spaces, such as jane.doe")
        }
    }

    func run() async throws {
        do {
            let config = try file.loadConfig()
            let password = try input.read()
            let store = try Store(path: config.storePath.path)
            guard try await store.addConsoleUser(name: name, passwordHash: LocalAccounts.hash(password), role: role.rawValue) else {
                throw UsageError(description: "the console already has an account \(name); `portrait user passwd \(name)` changes its password")
            }
            Terminal.out("Added \(name) (\(role.rawValue)) to the console's accounts.")
        } catch {
            throw fail("user add", error, json: false)
        }
    }
}

struct UserPasswordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "passwd", abstract: "Set a console account's password; its sessions end.")

    @OptionGroup var file: ConfigFileOption
    @OptionGroup var input: PasswordInput

    @Argument(help: "The account's name.")
    var name: String

    func run() async throws {
        do {
            let config = try file.loadConfig()
            let store = try existingStore(config)
            let password = try input.read()
            guard try await store.setConsolePassword(name: name, passwordHash: LocalAccounts.hash(password)) else {
                throw UsageError.noConsoleAccount(name)
            }
            Terminal.out("Changed \(name)'s password; their sessions have ended.")
        } catch {
            throw fail("user passwd", error, json: false)
        }
    }
}

struct UserRoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "role", abstract: "Make a console account an approver or a viewer; its sessions end.")

    @OptionGroup var file: ConfigFileOption

    @Argument(help: "The account's name.")
    var name: String

    @Argument(help: "approver or viewer.")
    var role: ConsoleRole

    func run() async throws {
        do {
            let store = try existingStore(try file.loadConfig())
            guard try await store.setConsoleRole(name: name, role: role.rawValue) else {
                throw UsageError.noConsoleAccount(name)
            }
            Terminal.out("\(name) is now \(role == .approver ? "an approver" : "a viewer"), from their next sign-in.")
        } catch {
            throw fail("user role", error, json: false)
        }
    }
}

struct UserRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a console account; its sessions end.")

    @OptionGroup var file: ConfigFileOption

    @Argument(help: "The account's name.")
    var name: String

    func run() async throws {
        do {
            let config = try file.loadConfig()
            let store = try existingStore(config)
            guard try await store.removeConsoleUser(name: name) else {
                throw UsageError.noConsoleAccount(name)
            }
            Terminal.out("Removed \(name) from the console's accounts.")
        } catch {
            throw fail("user remove", error, json: false)
        }
    }
}

struct UserListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the console's accounts.")

    @OptionGroup var common: CommonOptions

    func run() async throws {
        do {
            let config = try common.loadConfig()
            let users = FileManager.default.fileExists(atPath: config.storePath.path)
                ? try await Store(path: config.storePath.path).consoleUsers() : []
            if common.json {
                Terminal.json(UsersJSON(users: users.map { .init(name: $0.name, role: $0.role, createdAt: $0.createdAt) }))
                return
            }
            guard !users.isEmpty else {
                Terminal.out("The console has no accounts: `portrait user add NAME --role approver` adds one.")
                return
            }
            for user in users {
                Terminal.out("\(user.name)  \(user.role)  added \(LogCommand.time(user.createdAt))")
            }
        } catch {
            throw fail("user list", error, json: common.json)
        }
    }
}

/// The `--json` object of `portrait user list`: names and roles, never hashes.
struct UsersJSON: Encodable {
    struct User: Encodable {
        var name, role: String
        var createdAt: Date
        enum CodingKeys: String, CodingKey {
            case name, role
            case createdAt = "created_at"
        }
    }

    var command = "user list"
    var users: [User]
}
