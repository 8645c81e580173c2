import Foundation
import PortraitCore
import PortraitEngine
import OpenIDSignIn
import PortraitConsole
import PortraitImaging
import PortraitSettings
import TOMLKit

/// `portrait.toml`: where the store is, image limits, and which systems exist. The file is read
/// and its top level checked when loaded; each system's table is checked when the system is
/// built, so only the systems a command uses need valid settings (a missing secret of another
/// system does not stop `push --to out`). `check` builds them all.
public struct PortraitConfig {
    public let file: URL
    public let storePath: URL
    /// Photos larger than this are refused before they are read (`[images] max_input_mb`).
    public let maxInputBytes: Int
    /// In the order the file names them.
    public let systemNames: [String]
    /// `[sync]`, when the file has one; it carries `guidelines` too.
    public let syncPolicy: SyncPolicy?
    /// `[guidelines]`, when the file has one: an organisation opts in to having photos checked.
    public let guidelines: Guidelines?
    /// `[serve]`: the console's address and sign-in (defaults when the file has none).
    public let console: ConsoleSettings
    /// `[serve.auth]`, read in full only by `serve` (`consoleSignIn()`): its secret is needed nowhere else.
    private let consoleAuth: ConfigTable?
    /// `[serve]`, for reading the TLS key when `serve` starts.
    private let consoleTable: ConfigTable?
    private let tables: [String: ConfigTable]
    private let environment: [String: String]

    public static func load(from file: URL, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PortraitConfig {
        let file = file.standardizedFileURL
        guard let text = try? String(contentsOf: file, encoding: .utf8) else {
            let exists = FileManager.default.fileExists(atPath: file.path)
            throw ConfigError(file: file.path, line: nil, key: "",
                              message: exists ? "cannot read the file as UTF-8 text" : "no such file; pass --config with the path of your portrait.toml")
        }
        let document = ConfigDocument(file: file, lines: KeyLines(text: text))
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let parse as TOMLParseError {
            throw ConfigError(file: file.path, line: parse.source.begin.line, key: "", message: "not valid TOML: \(parse.description)")
        }
        let top = ConfigTable(path: "", table: root, document: document)

        var storePath = file.deletingLastPathComponent().appendingPathComponent("portrait.db")
        if let store = try top.subtable("store") {
            if let path = try store.fileURL("path") { storePath = path }
            try store.finish(expected: "[store] takes `path`")
        }
        var maxInputBytes = Photo.maxInputBytes
        if let images = try top.subtable("images") {
            if let megabytes = try images.int("max_input_mb", in: 1...1024) { maxInputBytes = megabytes * 1024 * 1024 }
            try images.finish(expected: "[images] takes `max_input_mb`")
        }

        let guidelines = try top.subtable("guidelines").map(Self.guidelines)
        let consoleTable = try top.subtable("serve")
        let (console, consoleAuth) = try consoleTable.map(Self.console) ?? (ConsoleSettings(), nil)
        let syncTable = try top.subtable("sync")
        let systemsTable = try top.subtable("systems")
        try top.finish(expected: "the file takes [store], [images], [guidelines], [sync], [serve] and [systems.NAME] tables")
        guard let systemsTable, !systemsTable.keys.isEmpty else {
            throw document.error(at: "systems", "no systems are defined; add at least one [systems.NAME] table with a `type`")
        }
        var tables: [String: ConfigTable] = [:]
        let names = document.lines.orderOfTables(under: "systems", among: systemsTable.keys)
        for name in names {
            guard let table = try systemsTable.subtable(name) else { continue }
            tables[name] = table
        }
        var policy = try syncTable.map { try Self.policy($0, systems: names) }
        if console.syncEvery != nil && policy == nil {
            throw document.error(at: "serve.sync_every", "there is no [sync] table to run on a schedule; add one, or leave sync_every out")
        }
        policy?.guidelines = guidelines
        return PortraitConfig(file: file, storePath: storePath, maxInputBytes: maxInputBytes, systemNames: names,
                              syncPolicy: policy, guidelines: guidelines, console: console, consoleAuth: consoleAuth, consoleTable: consoleTable,
                              tables: tables, environment: environment)
    }

    /// `[serve]`: plain http only where nobody else can listen in — on loopback, or behind a proxy
    /// that terminates TLS.
    private static func console(_ table: ConfigTable) throws -> (ConsoleSettings, ConfigTable?) {
        var settings = ConsoleSettings()
        if let listen = try table.string("listen") {
            guard let address = ConsoleSettings.address(listen) else {
                throw table.error("listen", "\"\(listen)\" is not an address; write host:port, such as 127.0.0.1:8651 or [::1]:8651")
            }
            (settings.host, settings.port) = address
        }
        if let proxy = try table.bool("behind_proxy") { settings.behindProxy = proxy }
        settings.metricsTokenVariable = try table.string("metrics_token_env")
        if let every = try table.string("sync_every") {
            guard let interval = ConsoleSettings.interval(every), interval >= .seconds(60), interval <= .seconds(30 * 86400) else {
                throw table.error("sync_every", "\"\(every)\" is not an interval from a minute to 30 days; write e.g. \"15m\", \"1h\" or \"1d\"")
            }
            settings.syncEvery = interval
        }
        switch (try table.fileURL("tls_cert_file"), try table.fileURL("tls_key_file")) {
        case (let certificate?, let key?):
            guard !settings.behindProxy else {
                throw table.error("behind_proxy", "either the console serves TLS itself (tls_cert_file, tls_key_file) or a proxy does (behind_proxy = true), not both")
            }
            settings.tlsFiles = (certificate, key)
        case (nil, nil):
            break
        case (nil, _):
            throw table.error("tls_key_file", "needs tls_cert_file too: the certificate (chain) in PEM")
        case (_, nil):
            throw table.error("tls_cert_file", "needs tls_key_file too: the certificate's private key in PEM, readable by its owner only")
        }
        if !settings.isLoopback && !settings.behindProxy && settings.tlsFiles == nil {
            throw table.error("listen", "\(settings.host) is reachable from other machines, and the console's sign-in would cross the network in plain http; listen on 127.0.0.1, give the console a certificate (tls_cert_file, tls_key_file), or put a reverse proxy with TLS in front and set behind_proxy = true")
        }
        let auth = try table.subtable("auth")
        if let auth {
            settings.authType = try auth.choice("type", of: ConsoleAuthType.self) ?? .local
        }
        try table.finish(expected: "[serve] takes listen, behind_proxy, tls_cert_file, tls_key_file, sync_every, metrics_token_env and an [serve.auth] table")
        return (settings, auth)
    }

    /// `tls_cert_file` and `tls_key_file` read, the key only if its owner alone can read it.
    public func consoleTLS() throws -> ConsoleTLS? {
        guard let files = console.tlsFiles else { return nil }
        guard let chain = try? String(contentsOf: files.certificate, encoding: .utf8), chain.contains("-----BEGIN CERTIFICATE-----") else {
            throw ConfigError(file: file.path, line: nil, key: "serve.tls_cert_file", message: "cannot read a PEM certificate from \(files.certificate.path)")
        }
        guard let table = consoleTable else { return nil }
        let key = try table.readSecretFile(files.key, key: "tls_key_file")
        return ConsoleTLS(certificateChainPEM: chain, privateKeyPEM: key)
    }

    /// `[serve.auth]` in full: local accounts, or the identity provider (its secret read now) and
    /// who may approve and who may look.
    public func consoleSignIn() throws -> SignInMethod {
        guard let table = consoleAuth, console.authType != .local else {
            try consoleAuth?.finish(expected: "[serve.auth] of type \"local\" takes only type: `portrait user add` and `portrait user role` manage its accounts")
            return .local
        }
        let settings = try OpenIDSettings.read(table, google: console.authType == .google, consoleURL: console.loopbackURL, environment: environment)
        func rules(_ key: String) throws -> [ConsoleAccess.Rule] {
            try (table.stringList(key) ?? []).map { entry in
                switch ConsoleAccess.rule(entry) {
                case .success(let rule):
                    if case .group = rule, console.authType == .google {
                        throw table.error(key, "Google's ID tokens carry no groups; name accounts (anna@example.com) or the domain (@example.com)")
                    }
                    return rule
                case .failure(let problem): throw table.error(key, problem.description)
                }
            }
        }
        let access = ConsoleAccess(approvers: try rules("approvers"), viewers: try rules("viewers"))
        guard !access.approvers.isEmpty || !access.viewers.isEmpty else {
            throw table.error(nil, "names nobody who may sign in: add approvers = [\"anna@example.com\"] (accounts, @domains or group:<object id>), and viewers if some may only look")
        }
        try table.finish(expected: "[serve.auth] of type \"\(console.authType.rawValue)\" takes client_id, client_secret_env or client_secret_file, \(console.authType == .entra ? "tenant, login_url" : "hosted_domain, issuer_url"), redirect_url, ca_file, approvers and viewers")
        return .provider(try OpenIDClient(settings: settings), access)
    }

    /// `[guidelines]`: the defaults for any key left out.
    private static func guidelines(_ table: ConfigTable) throws -> Guidelines {
        var rules = Guidelines.standard
        if let faces = try table.int("faces", in: 1...50) { rules.faces = faces }
        if let side = try table.int("min_side", in: 1...10_000) { rules.minSide = side }
        if let share = try table.numberRange("face_share", in: 0...1) { rules.faceShare = share }
        if let sharpness = try table.number("min_sharpness", in: 0...1000) { rules.minSharpness = sharpness }
        if let brightness = try table.number("min_brightness", in: 0...1) { rules.minBrightness = brightness }
        try table.finish(expected: "[guidelines] takes faces, min_side, face_share, min_sharpness and min_brightness")
        return rules
    }

    /// `[sync]`: every name a system of the file, each once per list.
    private static func policy(_ table: ConfigTable, systems: [String]) throws -> SyncPolicy {
        func names(_ key: String) throws -> [String] {
            guard let list = try table.stringList(key) else { throw table.error(nil, "missing required key `\(key)` (a list of system names)") }
            if let unknown = list.first(where: { !systems.contains($0) }) {
                throw table.error(key, "\"\(unknown)\" is not a system; the file defines: \(systems.joined(separator: ", "))")
            }
            return list
        }
        let sources = try names("sources")
        let targets = try names("targets")
        guard !sources.isEmpty else { throw table.error("sources", "name at least one source") }
        guard !targets.isEmpty else { throw table.error("targets", "name at least one target") }
        var policy = SyncPolicy(sources: sources, targets: targets)
        if let precedence = try table.choice("precedence", of: SyncPolicy.Precedence.self) { policy.precedence = precedence }
        if let approval = try table.stringList("approval") {
            if let stray = approval.first(where: { !sources.contains($0) }) {
                throw table.error("approval", "\"\(stray)\" is not one of the sources; approval applies to changes from sources")
            }
            policy.approval = Set(approval)
        }
        if let unapproved = try table.choice("unapproved", of: SyncPolicy.Unapproved.self) { policy.unapproved = unapproved }
        if let existing = try table.choice("existing", of: SyncPolicy.Existing.self) { policy.existing = existing }
        if let delete = try table.choice("delete", of: SyncPolicy.Deletion.self) { policy.delete = delete }
        if let minSide = try table.int("min_side", in: 1...Master.longSide) { policy.minSide = minSide }
        if let join = try table.stringList("join") {
            policy.join = try join.map { name in
                guard let key = MatchKey(rawValue: name) else {
                    throw table.error("join", "\"\(name)\" is not a key; use employeeId, mail, userPrincipalName or accountName")
                }
                return key
            }
        }
        try table.finish(expected: "[sync] takes sources, targets, precedence, approval, unapproved, existing, delete, min_side and join")
        return policy
    }

    /// Builds the system named `name` from its table, checking every key.
    public func system(named name: String) throws -> any PhotoSystem {
        guard let table = tables[name] else { throw unknownSystem(name) }
        return try SystemRegistry.make(name: name, table: table, context: SystemContext(environment: environment, maxInputBytes: maxInputBytes))
    }

    /// Refuses a name the file does not define, without building the system.
    func requireName(_ name: String) throws {
        if tables[name] == nil { throw unknownSystem(name) }
    }

    private func unknownSystem(_ name: String) -> ConfigError {
        ConfigError(file: file.path, line: nil, key: "systems",
                    message: "no system is named \"\(name)\"; the file defines: \(systemNames.joined(separator: ", "))")
    }

    /// A system that photos can be written to: one that takes renditions.
    public func target(named name: String) throws -> any PhotoWriting {
        guard let target = try system(named: name) as? any PhotoWriting, !target.capabilities.renditions.isEmpty else {
            throw ConfigError(file: file.path, line: nil, key: "systems.\(name)",
                              message: "\(name) can only be read from, not written to")
        }
        return target
    }
}
