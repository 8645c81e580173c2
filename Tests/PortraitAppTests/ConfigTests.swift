import Foundation
@testable import PortraitApp
import PortraitConsole
import PortraitCore
import PortraitSettings
import Testing

@Suite struct ConfigTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("portrait-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func load(_ text: String, environment: [String: String] = [:]) throws -> PortraitConfig {
        let file = folder.appendingPathComponent("portrait.toml")
        try Data(text.utf8).write(to: file)
        return try PortraitConfig.load(from: file, environment: environment)
    }

    /// The configuration error `text` gives, loading it and building every system as `check`
    /// does; the test fails if that works.
    func error(_ text: String, environment: [String: String] = [:]) -> ConfigError? {
        do {
            let config = try load(text, environment: environment)
            for name in config.systemNames { _ = try config.system(named: name) }
            Issue.record("expected a configuration error")
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            Issue.record("expected a ConfigError, got \(error)")
            return nil
        }
    }

    @Test func loadsTheDocumentedExample() throws {
        let config = try load("""
            [store]
            path = "state/portrait.db"

            [systems.hr]            # any name
            type = "folder"
            path = "photos"
            csv = "photos/map.csv"

            [systems.out]
            type = "folder"
            path = "out"
            side = 648
            max_bytes = 10240
            crop = "attention"
            """)
        #expect(config.systemNames == ["hr", "out"])
        #expect(config.storePath.path == folder.appendingPathComponent("state/portrait.db").path)
        let out = try config.target(named: "out")
        #expect(out.capabilities.renditions == [RenditionProfile(side: 648, maxBytes: 10240, crop: .attention)])
    }

    @Test func storeDefaultsToBesideTheConfig() throws {
        let config = try load("[systems.a]\ntype = \"folder\"\npath = \"a\"\n")
        #expect(config.storePath.path == folder.appendingPathComponent("portrait.db").path)
    }

    @Test func unknownKeyNamesFileLineAndKey() {
        let error = error("""
            [systems.out]
            type = "folder"
            path = "out"
            sid = 96
            """)
        #expect(error?.line == 4)
        #expect(error?.key == "systems.out.sid")
        #expect(error?.description.hasPrefix(folder.appendingPathComponent("portrait.toml").path + ":4: systems.out.sid: unknown key") == true)
    }

    @Test func wrongTypeSaysWhatIsExpected() {
        let error = error("""
            [systems.out]
            type = "folder"
            path = "out"

            side = "96"
            """)
        #expect(error?.line == 5)
        #expect(error?.description.contains("systems.out.side: expected an integer, found a string") == true)
    }

    @Test func outOfRangeAndBadChoices() {
        #expect(error("[systems.o]\ntype = \"folder\"\npath = \"o\"\nside = 0\n")?.description.contains("from 16 to 4096, found 0") == true)
        let crop = error("[systems.o]\ntype = \"folder\"\npath = \"o\"\ncrop = \"middle\"\n")
        #expect(crop?.line == 4)
        #expect(crop?.description.contains("expected \"face\", \"centre\" (or \"center\") or \"attention\", found \"middle\"") == true)
    }

    @Test func guidelinesTakeTheDefaultsForWhatIsLeftOut() throws {
        let out = "\n[systems.o]\ntype = \"folder\"\npath = \"o\"\n"
        let rules = try #require(try load("[guidelines]\nmin_side = 400\nface_share = [0.25, 0.7]\n" + out).guidelines)
        #expect(rules.minSide == 400 && rules.faceShare == 0.25...0.7 && rules.faces == 1 && rules.minSharpness == Guidelines.standard.minSharpness)
        #expect(try load(out).guidelines == nil, "without the table nothing is checked")
        let reversed = error("[guidelines]\nface_share = [0.8, 0.2]\n" + out)
        #expect(reversed?.line == 2 && reversed?.description.contains("guidelines.face_share: expected [low, high] from 0.0 to 1.0, low first") == true, "\(String(describing: reversed))")
        let typo = error("[guidelines]\nfacez = 2\n" + out)
        #expect(typo?.description.contains("guidelines.facez: unknown key; did you mean `faces`?") == true, "\(String(describing: typo))")
        #expect(error("[guidelines]\nmin_brightness = 2\n" + out)?.description.contains("from 0.0 to 1.0, found 2.0") == true)
    }

    @Test func theConsoleListensOnLoopbackUnlessBehindAProxy() throws {
        let out = "\n[systems.o]\ntype = \"folder\"\npath = \"o\"\n"
        let standard = try load(out).console
        #expect(standard.host == "127.0.0.1" && standard.port == 8651)
        let v6 = try load("[serve]\nlisten = \"[::1]:9000\"\n" + out).console
        #expect(v6.host == "::1" && v6.port == 9000 && !v6.behindProxy)
        let open = error("[serve]\nlisten = \"0.0.0.0:8651\"\n" + out)
        #expect(open?.line == 2 && open?.description.contains("plain http") == true, "\(String(describing: open))")
        let proxied = try load("[serve]\nlisten = \"0.0.0.0:8651\"\nbehind_proxy = true\n" + out).console
        #expect(proxied.host == "0.0.0.0" && proxied.behindProxy)
        #expect(error("[serve]\nlisten = \"localhost:99999\"\n" + out)?.description.contains("not an address") == true)
        #expect(error("[serve.auth]\ntype = \"ldap\"\n" + out)?.description.contains("local") == true)
        // Its own certificate lets the console listen for others too.
        let tls = try load("[serve]\nlisten = \"0.0.0.0:8443\"\ntls_cert_file = \"c.pem\"\ntls_key_file = \"k.pem\"\n" + out).console
        #expect(tls.scheme == "https" && tls.tlsFiles?.key.lastPathComponent == "k.pem" && tls.loopbackURL == nil)
        #expect(error("[serve]\ntls_cert_file = \"c.pem\"\n" + out)?.description.contains("needs tls_key_file too") == true)
        #expect(error("[serve]\nbehind_proxy = true\ntls_cert_file = \"c.pem\"\ntls_key_file = \"k.pem\"\n" + out)?.description.contains("not both") == true)
        #expect(error("[serve]\nport = 80\n" + out)?.description.contains("serve.port: unknown key") == true)

        let sync = "[sync]\nsources = [\"o\"]\ntargets = [\"o\"]\n"
        #expect(try load("[serve]\nsync_every = \"15m\"\n" + sync + out).console.syncEvery == .seconds(900))
        #expect(try load(out).console.syncEvery == nil)
        #expect(error("[serve]\nsync_every = \"10s\"\n" + sync + out)?.description.contains("from a minute to 30 days") == true)
        #expect(error("[serve]\nsync_every = \"often\"\n" + sync + out)?.description.contains("\"15m\"") == true)
        #expect(error("[serve]\nsync_every = \"99999999999999999d\"\n" + sync + out)?.description.contains("from a minute to 30 days") == true)
        let unscheduled = error("[serve]\nsync_every = \"1h\"\n" + out)
        #expect(unscheduled?.line == 2 && unscheduled?.description.contains("no [sync] table") == true, "\(String(describing: unscheduled))")
    }

    @Test func signInWithTheIdentityProviderIsReadOnlyByServe() throws {
        let out = "\n[systems.o]\ntype = \"folder\"\npath = \"o\"\n"
        let entra = """
            [serve.auth]
            type = "entra"
            tenant = "contoso.onmicrosoft.com"
            client_id = "11111111-2222-4333-8444-555555555555"
            client_secret_env = "CONSOLE_SECRET"
            approvers = ["group:5E1F0C6A-0000-4000-8000-00000000A001", "hr.anna@example.com"]
            viewers = ["@example.com"]

            """
        // Other commands need neither the secret nor a valid provider table.
        let loaded = try load(entra + out)
        #expect(loaded.console.authType == .entra)
        guard case .provider(let provider, let access) = try load(entra + out, environment: ["CONSOLE_SECRET": "s3cret"]).consoleSignIn() else {
            Issue.record("expected sign-in through the identity provider")
            return
        }
        #expect(provider.name == "Microsoft")
        #expect(access.approvers == [.group("5e1f0c6a-0000-4000-8000-00000000a001"), .account("hr.anna@example.com")])
        #expect(access.viewers == [.domain("example.com")])
        #expect(access.role(of: SignedInIdentity(mail: "HR.Anna@example.com")) == .approver)
        #expect(access.role(of: SignedInIdentity(mail: "bob@example.com")) == .viewer)
        #expect(access.role(of: SignedInIdentity(mail: "bob@example.com.evil")) == nil)
        #expect(access.role(of: SignedInIdentity(mail: "x@elsewhere.example", groups: ["5E1F0C6A-0000-4000-8000-00000000A001"])) == .approver)

        func signInError(_ text: String, environment: [String: String] = ["CONSOLE_SECRET": "s3cret"]) -> String {
            do {
                _ = try load(text + out, environment: environment).consoleSignIn()
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(signInError(entra, environment: [:]).contains("serve.auth.client_secret_env: the environment variable CONSOLE_SECRET is not set"))
        #expect(signInError(entra.replacingOccurrences(of: "contoso.onmicrosoft.com", with: "common")).contains("is not one tenant"))
        #expect(signInError(entra.replacingOccurrences(of: "\"@example.com\"", with: "\"example\"")).contains("\"example\" is neither an account"))
        #expect(signInError(entra.replacingOccurrences(of: "approvers = [", with: "aprovers = [")).contains("did you mean `approvers`?"))
        #expect(signInError(entra.replacingOccurrences(of: "client_secret_env = \"CONSOLE_SECRET\"", with: "client_secret = \"s3cret\"")).contains("secrets are not written in the configuration"))
        let nobody = entra.replacingOccurrences(of: "approvers = [\"group:5E1F0C6A-0000-4000-8000-00000000A001\", \"hr.anna@example.com\"]\n", with: "")
            .replacingOccurrences(of: "viewers = [\"@example.com\"]\n", with: "")
        #expect(signInError(nobody).contains("names nobody who may sign in"))
        let google = "[serve.auth]\ntype = \"google\"\nclient_id = \"web\"\nclient_secret_env = \"CONSOLE_SECRET\"\nhosted_domain = \"example.com\"\napprovers = [\"group:x\"]\n"
        #expect(signInError(google).contains("Google's ID tokens carry no groups"))
        #expect(signInError(google.replacingOccurrences(of: "group:x", with: "@example.com")) == "no error")
        // Elsewhere than loopback the callback must be given, and over https.
        let proxied = "[serve]\nlisten = \"0.0.0.0:8651\"\nbehind_proxy = true\n" + entra
        #expect(signInError(proxied).contains("needs redirect_url"))
        #expect(signInError(proxied.replacingOccurrences(of: "type = \"entra\"", with: "type = \"entra\"\nredirect_url = \"http://portrait.example.com/login/callback\"")).contains("is not an https URL"))
        #expect(signInError(proxied.replacingOccurrences(of: "type = \"entra\"", with: "type = \"entra\"\nredirect_url = \"https://portrait.example.com/login/callback\"")) == "no error")
        // Local accounts take nothing else.
        #expect(signInError("[serve.auth]\ntype = \"local\"\napprovers = [\"a@b.c\"]\n").contains("takes only type"))
    }

    @Test func missingRequiredKeyNamesTheTable() {
        let error = error("\n[systems.hr]\ntype = \"folder\"\n")
        #expect(error?.line == 2)
        #expect(error?.description.contains("systems.hr: missing required key `path`") == true)
    }

    @Test func unknownTypeListsTheKnownOnes() {
        let error = error("[systems.x]\ntype = \"ftp\"\n")
        #expect(error?.description.contains("unknown system type \"ftp\"; expected one of \"folder\"") == true)
    }

    @Test func csvAndPatternTogetherAreRefused() {
        let error = error("[systems.x]\ntype = \"folder\"\npath = \"p\"\ncsv = \"m.csv\"\npattern = \"{mail}.jpg\"\n")
        #expect(error?.line == 5)
        #expect(error?.description.contains("either `csv` or `pattern`") == true)
    }

    @Test func syntaxErrorsCarryTheParsersLine() {
        let error = error("[systems.x]\ntype = \"folder\"\npath = \"unterminated\n")
        #expect(error?.line == 3)
        #expect(error?.description.contains("not valid TOML") == true)
    }

    @Test func unknownTopLevelTable() {
        let error = error("[systems.a]\ntype = \"folder\"\npath = \"a\"\n\n[sytems.b]\ntype = \"folder\"\n")
        #expect(error?.line == 5)
        #expect(error?.key == "sytems")
    }

    @Test func noSystemsIsAnError() {
        #expect(error("[store]\npath = \"x.db\"\n")?.description.contains("no systems are defined") == true)
    }

    @Test func missingFileSaysWhatToDo() {
        #expect(throws: ConfigError.self) {
            try PortraitConfig.load(from: folder.appendingPathComponent("nope.toml"))
        }
    }

    @Test func unknownSystemNameListsTheDefinedOnes() throws {
        let config = try load("[systems.a]\ntype = \"folder\"\npath = \"a\"\n")
        #expect(throws: ConfigError.self) { try config.system(named: "b") }
    }

    @Test func aCAFileThatHoldsNoCertificateNamesTheKey() throws {
        try Data("not a certificate".utf8).write(to: folder.appendingPathComponent("root.pem"))
        let error = error("""
            [systems.m365]
            type = "graph"
            tenant = "contoso.test"
            client_id = "app"
            client_secret_env = "SECRET"
            ca_file = "root.pem"
            """, environment: ["SECRET": "s"])
        #expect(error?.key == "systems.m365.ca_file")
        #expect(error?.description.contains("holds no PEM certificate") == true)
    }

    @Test func aProxyThatIsNotAnAddressIsAConfigurationError() {
        let error = error("""
            [systems.m365]
            type = "graph"
            tenant = "contoso.test"
            client_id = "app"
            client_secret_env = "SECRET"
            """, environment: ["SECRET": "s", "HTTPS_PROXY": "socks5://proxy:1080"])
        #expect(error?.description.contains("HTTPS_PROXY is not a proxy address") == true)
    }
}

/// Secrets come only from the environment or from a file only its owner can read.
@Suite struct SecretTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("portrait-secret-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func table(_ text: String) throws -> ConfigTable {
        let file = folder.appendingPathComponent("portrait.toml")
        try Data(text.utf8).write(to: file)
        let document = ConfigDocument(file: file, lines: KeyLines(text: text))
        return ConfigTable(path: "systems.g", table: try .init(string: text), document: document)
    }

    @Test func fromTheEnvironment() throws {
        let secret = try table("client_secret_env = \"PORTRAIT_TEST_SECRET\"").secret("client_secret", environment: ["PORTRAIT_TEST_SECRET": "s3cr3t"])
        #expect(secret?.reveal() == "s3cr3t")
        #expect("\(secret!)" == "<redacted>")
        #expect(String(reflecting: secret!) == "<redacted>")
    }

    @Test func unsetVariableIsNamed() throws {
        #expect {
            try table("client_secret_env = \"NOT_SET_ANYWHERE\"").secret("client_secret", environment: [:])
        } throws: { "\($0)".contains("NOT_SET_ANYWHERE is not set") }
    }

    @Test func fromAPrivateFile() throws {
        let file = folder.appendingPathComponent("secret.txt")
        try Data("from-file\n".utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        let secret = try table("client_secret_file = \"secret.txt\"").secret("client_secret", environment: [:])
        #expect(secret?.reveal() == "from-file")
    }

    @Test func fileReadableByOthersIsRefusedWithChmod() throws {
        let file = folder.appendingPathComponent("open.txt")
        try Data("leaky".utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        #expect {
            try table("client_secret_file = \"open.txt\"").secret("client_secret", environment: [:])
        } throws: { error in
            let text = "\(error)"
            return text.contains("chmod 600") && text.contains("open.txt") && !text.contains("leaky")
        }
    }

    @Test func literalSecretIsRefusedWithoutEchoingIt() throws {
        #expect {
            try table("client_secret = \"hunter2\"").secret("client_secret", environment: [:])
        } throws: { error in
            "\(error)".contains("client_secret_env") && !"\(error)".contains("hunter2")
        }
    }
}
