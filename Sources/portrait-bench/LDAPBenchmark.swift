import ArgumentParser
import Foundation
import PortraitCore
import PortraitImaging

/// `make bench-ldap`: against a real Samba AD DC (started by `scripts/samba-dc.sh`), a plain
/// client — OpenLDAP's `ldapmodify` writing already-rendered thumbnailPhotos and jpegPhotos, one
/// modify per person on one connection — then `portrait push` of the same photos from originals,
/// an unchanged re-run, a pull and an unchanged re-pull, with the LDAP operations of each listing.
struct LDAPBenchmark: ParsableArguments {
    @Option(help: "Users in the directory, each with a photo.")
    var users = 1_000

    @Option(help: "Where generated photos, the DC and outputs are kept.")
    var work = ".build/bench"

    func measure() async throws {
        let root = URL(fileURLWithPath: work).standardizedFileURL
        let photos = root.appendingPathComponent("photos-640x800")
        try PhotoSet.generate(count: users, width: 640, height: 800, into: photos)
        let run = root.appendingPathComponent("ldap-run")
        try? FileManager.default.removeItem(at: run)
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        let dc = root.appendingPathComponent("samba")
        try shell("scripts/samba-dc.sh", ["start", dc.path])
        defer { try? shell("scripts/samba-dc.sh", ["stop", dc.path]) }
        let password = try String(contentsOf: dc.appendingPathComponent("admin-password"), encoding: .utf8)
        let ldap = LDAPTools(password: password, caFile: dc.appendingPathComponent("tls/ca.pem").path)
        let base = "OU=Bench,DC=contoso,DC=test"

        var people = "dn: \(base)\nobjectClass: organizationalUnit\n\n"
        for index in 0..<users {
            people += "dn: CN=p\(index),\(base)\nobjectClass: user\nsAMAccountName: p\(index)\nmail: \(mail(index))\n\n"
        }
        try ldap.run("ldapadd", people)

        // The plain client's input: each person's renditions, made beforehand (not timed).
        FileHandle.standardError.write(Data("Rendering \(users) thumbnails for the plain client…\n".utf8))
        let thumbnail = RenditionProfile(side: 96, maxBytes: 10_240)
        let large = RenditionProfile(side: 648)
        let pipeline = ImagePipeline()
        var modifies = ""
        var clear = ""
        for index in 0..<users {
            let bytes = try Data(contentsOf: photos.appendingPathComponent(PhotoSet.fileName(index)))
            let rendered = try pipeline.render(Photo(bytes: bytes, version: nil, origin: "bench"), profiles: [thumbnail, large])
            let small = rendered.renditions.first { $0.profile == thumbnail }!.bytes
            let big = rendered.renditions.first { $0.profile == large }!.bytes
            modifies += "dn: CN=p\(index),\(base)\nchangetype: modify\nreplace: thumbnailPhoto\nthumbnailPhoto:: \(small.base64EncodedString())\n-\nreplace: jpegPhoto\njpegPhoto:: \(big.base64EncodedString())\n-\n\n"
            clear += "dn: CN=p\(index),\(base)\nchangetype: modify\nreplace: thumbnailPhoto\n-\nreplace: jpegPhoto\n-\n\n"
        }
        let started = Date()
        try ldap.run("ldapmodify", modifies)
        let reference = Date().timeIntervalSince(started)
        try ldap.run("ldapmodify", clear)

        try Data(password.utf8).write(to: run.appendingPathComponent("ad-password"))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: run.appendingPathComponent("ad-password").path)
        try """
            [systems.photos]
            type = "folder"
            path = "\(photos.path)"
            pattern = "{mail}.jpg"

            [systems.ad]
            type = "ldap"
            url = "ldaps://127.0.0.1"
            tls_ca_file = "\(dc.appendingPathComponent("tls/ca.pem").path)"
            bind_dn = "CN=Administrator,CN=Users,DC=contoso,DC=test"
            password_file = "ad-password"
            base_dn = "\(base)"
            jpeg_photo = true
            """.write(to: run.appendingPathComponent("portrait.toml"), atomically: true, encoding: .utf8)
        let config = run.appendingPathComponent("portrait.toml").path
        let push = ["push", "--config", config, "--from", "photos", "--to", "ad", "--json", "-v"]
        let pull = ["pull", "--config", config, "--from", "ad", "--out", run.appendingPathComponent("pulled").path, "--json", "-v"]

        let first = try portrait(push)
        let again = try portrait(push)
        let quiet = try portrait(push)
        let pulled = try portrait(pull)
        let repulled = try portrait(pull)

        print("LDAP against Samba AD DC, \(users) users, thumbnailPhoto 96×96 ≤ 10 KB + jpegPhoto 648×648:")
        print(String(format: "  plain client (ldapmodify, pre-rendered, one connection): %.2f s, %.0f photos/s", reference, Double(users) / reference))
        print(String(format: "  portrait push from 640×800 originals:  %.2f s, %.0f photos/s, %.0f%% of the plain client's rate, peak %.0f MB, exit %d",
                     first.seconds, Double(users) / first.seconds, 100 * reference / first.seconds, first.peakMB, first.status))
        for (name, measured) in [("push re-run (sees its own writes)", again), ("push re-run, nothing changed", quiet),
                                 ("pull", pulled), ("pull re-run, nothing changed", repulled)] {
            print(String(format: "  %@: %.2f s, listing in %@ LDAP operations, peak %.0f MB, exit %d",
                         name, measured.seconds, operations(measured), measured.peakMB, measured.status))
        }
    }

    private func mail(_ index: Int) -> String { String(PhotoSet.fileName(index).dropLast(4)) }

    private func portrait(_ arguments: [String]) throws -> Child.Measurement {
        try Child.run(Child.benchmarkExecutable, [Child.portraitCommand] + arguments)
    }

    /// The count in the run's "ad: listed N entries … in K LDAP operations" line.
    private func operations(_ measured: Child.Measurement) -> String {
        let text = String(decoding: measured.stderr, as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.contains("ad: listed") }),
              let range = line.range(of: " in ") else { return "?" }
        return String(line[range.upperBound...].split(separator: " ")[0])
    }

    private func shell(_ executable: String, _ arguments: [String]) throws {
        let measured = try Child.run(executable, arguments)
        guard measured.status == 0 else {
            throw ValidationError("\(executable) \(arguments.joined(separator: " ")) failed: \(String(decoding: measured.stderr, as: UTF8.self))")
        }
    }
}

/// OpenLDAP's command-line tools as an administrator, reading LDIF from a file.
private struct LDAPTools {
    var password: String
    var caFile: String

    func run(_ tool: String, _ ldif: String) throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).ldif")
        try ldif.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let measured = try Child.run("/usr/bin/\(tool)", ["-H", "ldaps://127.0.0.1", "-x", "-D", "Administrator@contoso.test",
                                                         "-w", password, "-c", "-f", file.path],
                                     environment: ["LDAPTLS_CACERT": caFile])
        guard measured.status == 0 else {
            throw ValidationError("\(tool) failed: \(String(decoding: measured.stderr, as: UTF8.self).prefix(500))")
        }
    }
}
