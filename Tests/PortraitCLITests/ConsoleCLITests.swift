import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `portrait user …` and `portrait serve` as an administrator runs them.
@Suite struct ConsoleCLITests {
    static let password = "a long enough password"

    @Test func accountsAreManagedFromTheCommandLine() throws {
        let work = try Workspace()
        try work.write("portrait.toml", "[systems.o]\ntype = \"folder\"\npath = \"o\"\n")
        let add = ["user", "add", "hr.anna", "--role", "approver", "--password-stdin"]

        let short = try work.cli.run(add, input: "too short\n")
        #expect(short.status == 2 && short.stderr.contains("at least 12 characters"), "\(short.stderr)")
        let piped = try work.cli.run(["user", "add", "hr.anna"], input: "")
        #expect(piped.status == 2 && piped.stderr.contains("--password-stdin"), "\(piped.stderr)")
        let spaced = try work.cli.run(["user", "add", "hr anna", "--password-stdin"], input: "\(Self.password)\n")
        #expect(spaced.status == 2 && spaced.stderr.contains("without spaces"), "\(spaced.stderr)")

        let added = try work.cli.run(add, input: "\(Self.password)\n")
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stdout.contains("Added hr.anna (approver)"))
        let again = try work.cli.run(add, input: "\(Self.password)\n")
        #expect(again.status == 2 && again.stderr.contains("user passwd hr.anna"), "\(again.stderr)")
        #expect(try work.cli.run(["user", "add", "it.bob", "--password-stdin"], input: "\(Self.password)\n").status == 0)

        let list = try work.cli.run("user", "list", "--json")
        let users = try #require(try list.json()["users"] as? [[String: Any]])
        #expect(users.map { $0["name"] as? String } == ["hr.anna", "it.bob"])
        #expect(users.map { $0["role"] as? String } == ["approver", "viewer"])
        #expect(!list.stdout.contains("$2"), "no password hash in the output")

        #expect(try work.cli.run(["user", "passwd", "it.bob", "--password-stdin"], input: "another long password\n").status == 0)
        let nobody = try work.cli.run(["user", "passwd", "nobody", "--password-stdin"], input: "another long password\n")
        #expect(nobody.status == 2 && nobody.stderr.contains("no account nobody"), "\(nobody.stderr)")
        #expect(try work.cli.run("user", "remove", "it.bob").status == 0)
        #expect(try work.cli.run("user", "remove", "it.bob").status == 2)

        // bcrypt reads 72 bytes: a longer password would sign in by its start alone.
        let long = try work.cli.run(["user", "add", "long", "--password-stdin"], input: String(repeating: "A", count: 73) + "\n")
        #expect(long.status == 2 && long.stderr.contains("at most 72 bytes"), "\(long.stderr)")
        let blank = try work.cli.run(["user", "add", "blank", "--password-stdin"], input: String(repeating: " ", count: 14) + "\n")
        #expect(blank.status == 2 && blank.stderr.contains("spaces alone"), "\(blank.stderr)")
        #expect(try work.cli.run(["user", "add", "x.y", "--password-stdin", "--json"], input: "\(Self.password)\n").status == 2,
                "user add prints no report, so it takes no --json")

        #expect(try work.cli.run(["user", "add", "it.carl", "--password-stdin"], input: "\(Self.password)\n").status == 0)
        let promoted = try work.cli.run("user", "role", "it.carl", "approver")
        #expect(promoted.status == 0 && promoted.stdout.contains("it.carl is now an approver"), "\(promoted.stdout)")
        let roles = try #require(try work.cli.run("user", "list", "--json").json()["users"] as? [[String: Any]])
        #expect(roles.first { $0["name"] as? String == "it.carl" }?["role"] as? String == "approver")
        #expect(try work.cli.run("user", "role", "nobody", "viewer").status == 2)
        #expect(try work.cli.run("user", "role", "it.carl", "admin").status == 2)
    }

    @Test func serveOnAnAddressInUseSaysSoAndExitsTwo() throws {
        let work = try Workspace()
        let (port, listener) = try Self.listeningSocket()
        defer { close(listener) }
        try work.write("portrait.toml", "[serve]\nlisten = \"127.0.0.1:\(port)\"\n\n[systems.o]\ntype = \"folder\"\npath = \"o\"\n")
        #expect(try work.cli.run(["user", "add", "it.bob", "--password-stdin"], input: "\(Self.password)\n").status == 0)
        let busy = try work.cli.run("serve")
        #expect(busy.status == 2, "\(busy.stderr)")
        #expect(busy.stderr.contains("cannot listen on 127.0.0.1:\(port): something else listens there"), "\(busy.stderr)")
        #expect(busy.stderr.contains("no console account is an approver"))
        #expect(!busy.stderr.contains("Portrait console on"), "said to be listening when it was not")
    }

    /// A socket listening on a free loopback port, as another server would.
    static func listeningSocket() throws -> (port: Int, socket: Int32) {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ready = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && listen(socket, 1) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard ready else { throw POSIXError(.EADDRINUSE) }
        return (Int(UInt16(bigEndian: address.sin_port)), socket)
    }

    @Test func serveNeedsAnAccountThenAnswersAndStopsOnSIGTERM() async throws {
        let work = try Workspace()
        let port = try Self.freePort()
        try work.write("portrait.toml", "[serve]\nlisten = \"127.0.0.1:\(port)\"\n\n[systems.o]\ntype = \"folder\"\npath = \"o\"\n")
        let bare = try await work.cli.running(["serve"])
        #expect(bare.status == 2 && bare.stderr.contains("portrait user add NAME --role approver"), "\(bare.stderr)")

        #expect(try await work.cli.running(["user", "add", "hr.anna", "--role", "approver", "--password-stdin"], input: "\(Self.password)\n").status == 0)
        let server = try RunningCLI(["serve"], in: work.url, environment: [:])
        defer { if server.isRunning { kill(server.pid, SIGKILL) } }
        let health = try await Self.get("http://127.0.0.1:\(port)/healthz", whileRunning: server)
        #expect(health.status == 200)
        #expect(health.body.contains("\"store\":\"ok\""))
        let queue = try await Self.get("http://127.0.0.1:\(port)/queue", whileRunning: server)
        #expect(queue.status == 200 && queue.body.contains("Sign in"), "redirected to sign in")

        kill(server.pid, SIGTERM)
        let ended = try await server.finish(within: .seconds(60))
        #expect(ended.status == 0, "\(ended.stderr)")
        #expect(ended.stderr.contains("Portrait console on http://127.0.0.1:\(port)/"))
        #expect(ended.stderr.contains("GET /healthz 200"), "one log line per request: \(ended.stderr)")
    }

    @Test func serveSpeaksTLSWithItsOwnCertificate() async throws {
        let work = try Workspace()
        let port = try Self.freePort()
        let certificate = try TestCertificate()
        try work.write("console.crt", certificate.certificatePEM)
        try work.write("console.key", certificate.privateKeyPEM)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: work.path("console.key").path)
        try work.write("portrait.toml", """
            [serve]
            listen = "127.0.0.1:\(port)"
            tls_cert_file = "console.crt"
            tls_key_file = "console.key"

            [systems.o]
            type = "folder"
            path = "o"

            """)
        #expect(try await work.cli.running(["user", "add", "hr.anna", "--role", "approver", "--password-stdin"], input: "\(Self.password)\n").status == 0)
        let exposed = try await work.cli.running(["serve"])
        #expect(exposed.status == 2 && exposed.stderr.contains("serve.tls_key_file") && exposed.stderr.contains("chmod 600"), "\(exposed.stderr)")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: work.path("console.key").path)

        let server = try RunningCLI(["serve"], in: work.url, environment: [:])
        defer { if server.isRunning { kill(server.pid, SIGKILL) } }
        let base = "https://127.0.0.1:\(port)"
        var health = try await work.cli.runningTool("/usr/bin/curl", ["-sk", base + "/healthz"])
        for _ in 0..<300 where health.status != 0 && server.isRunning {
            try await Task.sleep(for: .milliseconds(100))
            health = try await work.cli.runningTool("/usr/bin/curl", ["-sk", base + "/healthz"])
        }
        #expect(health.status == 0 && health.stdout.contains("\"store\":\"ok\""), "\(health.stderr)")
        // Signed in over TLS, the session cookie is Secure.
        let password = Self.password.replacingOccurrences(of: " ", with: "+")
        let signIn = try await work.cli.runningTool("/usr/bin/curl", ["-sk", "-i", "-d", "name=hr.anna&password=\(password)", base + "/login"])
        let cookie = signIn.stdout.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie: portrait_session=") }
        #expect(cookie?.contains("Secure") == true && cookie?.contains("HttpOnly") == true, "\(signIn.stdout)")
        // Plain http to the same port is no answer.
        let plain = try await work.cli.runningTool("/usr/bin/curl", ["-s", "--max-time", "5", "http://127.0.0.1:\(port)/healthz"])
        #expect(plain.status != 0 || !plain.stdout.contains("\"store\""))

        kill(server.pid, SIGTERM)
        let ended = try await server.finish(within: .seconds(60))
        #expect(ended.status == 0, "\(ended.stderr)")
        #expect(ended.stderr.contains("Portrait console on https://127.0.0.1:\(port)/"), "\(ended.stderr)")
        #expect(!ended.stderr.contains("PRIVATE KEY"))
    }

    /// A port nothing listens on now.
    static func freePort() throws -> Int {
        let (port, socket) = try listeningSocket()
        close(socket)
        return port
    }

    /// GET `url` once the server listens (retrying refused connections while it starts).
    static func get(_ url: String, whileRunning server: RunningCLI) async throws -> (status: Int, body: String) {
        var lastError: (any Error)?
        for _ in 0..<600 where server.isRunning {
            do {
                let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
                return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        throw lastError ?? POSIXError(.ECONNREFUSED)
    }
}
