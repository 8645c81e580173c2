import Foundation
import Synchronization
import Testing

/// The real Samba AD domain controller the LDAP tests run against: provisioned and started once per
/// test process by `scripts/samba-dc.sh` (the first test to need it waits ~10 s) and stopped when
/// the process exits. A missing Samba fails the tests that need it, never skips them.
final class SambaDC: Sendable {
    static let baseDN = "DC=contoso,DC=test"
    static let adminDN = "CN=Administrator,CN=Users,DC=contoso,DC=test"
    let directory: URL
    let password: String

    var caFile: String { directory.appendingPathComponent("tls/ca.pem").path }
    var otherCAFile: String { directory.appendingPathComponent("tls/other-ca.pem").path }

    private static let started = Mutex<Result<SambaDC, any Error>?>(nil)

    /// The running DC, started on first use.
    static func shared() throws -> SambaDC {
        try started.withLock { state in
            if state == nil {
                state = Result { try SambaDC() }
                atexit { try? SambaDC.script("stop", SambaDC.folder) }
            }
            return try state!.get()
        }
    }

    private static let folder = FileManager.default.temporaryDirectory.appendingPathComponent("portrait-samba-tests")

    private init() throws {
        directory = Self.folder
        try Self.script("start", directory)
        password = try String(contentsOf: directory.appendingPathComponent("admin-password"), encoding: .utf8)
    }

    func stop() throws { try Self.script("stop", directory) }
    func restart() throws { try Self.script("restart", directory) }

    /// Adds or changes entries as an administrator would, with OpenLDAP's own tools.
    func modify(_ ldif: String) throws {
        _ = try tool("ldapmodify", ["-c"], input: ldif)
    }

    /// `ldapsearch` output (LDIF, values of binary attributes as base64).
    func search(base: String, filter: String, _ attributes: String...) throws -> String {
        try tool("ldapsearch", ["-LLL", "-o", "ldif-wrap=no", "-b", base, filter] + attributes, input: nil)
    }

    /// The bytes of an entry's single-valued binary attribute, or nil.
    func value(_ attribute: String, of filter: String, under base: String) throws -> Data? {
        let text = try search(base: base, filter: filter, attribute)
        guard let line = text.split(separator: "\n").first(where: { $0.lowercased().hasPrefix(attribute.lowercased() + "::") }) else { return nil }
        return Data(base64Encoded: String(line.dropFirst(attribute.count + 2)).trimmingCharacters(in: .whitespaces))
    }

    /// A new OU with `count` users: `Given N`, mail `prefixN@contoso.test`, employeeID `prefix-N`.
    func addUsers(ou: String, prefix: String, count: Int) throws {
        var ldif = "dn: OU=\(ou),\(Self.baseDN)\nobjectClass: organizationalUnit\n\n"
        for index in 0..<count {
            ldif += """
                dn: CN=\(prefix) \(index),OU=\(ou),\(Self.baseDN)
                changetype: add
                objectClass: user
                sAMAccountName: \(prefix)\(index)
                mail: \(prefix)\(index)@contoso.test
                userPrincipalName: \(prefix)\(index)@contoso.test
                employeeID: \(prefix)-\(index)


                """
        }
        _ = try tool("ldapadd", ["-c"], input: ldif)
    }

    private func tool(_ name: String, _ arguments: [String], input: String?) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/\(name)")
        process.arguments = ["-H", "ldaps://127.0.0.1", "-x", "-D", Self.adminDN, "-w", password] + arguments
        process.environment = ["LDAPTLS_CACERT": caFile]
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let writer = Thread {
            if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        nonisolated(unsafe) var errors = Data()
        let reader = Thread { errors = stderr.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !reader.isFinished || !writer.isFinished { usleep(1000) }
        // 32: nothing found under the base; 68: already there (a re-run's set-up).
        guard [0, 32, 68].contains(process.terminationStatus) else {
            throw SambaError(message: "\(name) exited \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func script(_ command: String, _ directory: URL) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        // posix_spawn and waitpid, output to a file: the daemon the script starts would hold a
        // pipe open for good, and Foundation's Process did not always see the script end.
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("samba-dc-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments = [root.appendingPathComponent("scripts/samba-dc.sh").path, command, directory.path]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
        guard spawned == 0 else { throw SambaError(message: "cannot run scripts/samba-dc.sh: error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        guard status == 0 else {
            let errors = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw SambaError(message: "scripts/samba-dc.sh \(command) failed (the LDAP tests need Samba; run scripts/install-deps.sh as root): \(errors)")
        }
    }
}

struct SambaError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Runs blocking work (processes, the DC's start) on a Dispatch thread, so Swift concurrency's few
/// threads stay free for the tests that serve a sandbox in this process.
func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}

/// Width and height from a JPEG's start-of-frame marker.
func jpegSize(_ data: Data) -> (Int, Int)? {
    let bytes = [UInt8](data)
    var index = 2
    while index + 9 < bytes.count {
        guard bytes[index] == 0xFF else { return nil }
        let marker = bytes[index + 1]
        let length = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
        if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker) {
            return (Int(bytes[index + 7]) << 8 | Int(bytes[index + 8]), Int(bytes[index + 5]) << 8 | Int(bytes[index + 6]))
        }
        index += 2 + length
    }
    return nil
}
