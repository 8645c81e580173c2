import Foundation
import PortraitImaging
import TestPhotographs
import Testing

/// `portrait` against a real Samba AD DC: each test works in an OU of its own.
@Suite(.serialized) struct LDAPCLITests {
    /// A workspace with a photographer's folder for `prefix0…` and an `ad` system on `ou`.
    private func setup(_ dc: SambaDC, ou: String, prefix: String, photos: Int, kinds: [PhotoKind] = [], adLines: String = "",
                       url: String = "ldaps://127.0.0.1") throws -> Workspace {
        let workspace = try Workspace()
        let source = try workspace.photographer(people: photos, kinds: kinds) { "\(prefix)\($0)@contoso.test" }
        try workspace.write("ad-password", dc.password)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: workspace.path("ad-password").path)
        try workspace.write("portrait.toml", """
            \(source)

            [systems.ad]
            type = "ldap"
            url = "\(url)"
            tls_ca_file = "\(dc.caFile)"
            bind_dn = "\(SambaDC.adminDN)"
            password_file = "ad-password"
            base_dn = "OU=\(ou),\(SambaDC.baseDN)"
            \(adLines)
            """)
        return workspace
    }

    private func push(_ workspace: Workspace, _ extra: String...) throws -> CLI.Result {
        try workspace.cli.run(["push", "--config", "portrait.toml", "--from", "hr", "--to", "ad", "--json"] + extra)
    }

    /// How many LDAP operations the run's listing of `ad` took, from its `-v` line.
    private func listingOperations(_ result: CLI.Result) -> Int? {
        guard let line = result.stderr.split(separator: "\n").first(where: { $0.contains("ad: listed") }),
              let range = line.range(of: " in ") else { return nil }
        return Int(line[range.upperBound...].split(separator: " ")[0])
    }

    @Test func aThousandUsersPagedWrittenReadAndListedIncrementally() async throws {
        try await blocking {
            let dc = try SambaDC.shared()
            let base = "OU=Thousand,\(SambaDC.baseDN)"
            try dc.addUsers(ou: "Thousand", prefix: "kilo", count: 1000)
            let workspace = try setup(dc, ou: "Thousand", prefix: "kilo", photos: 12, adLines: "page_size = 100\njpeg_photo = true")

            let first = try push(workspace, "-v")
            #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
            #expect(tally(try first.json(), "ad", "uploaded") == 12)
            #expect(first.stderr.contains("ad: listed 1000 entries (all)"))
            let thumbnail = try #require(try dc.value("thumbnailPhoto", of: "(mail=kilo3@contoso.test)", under: base))
            #expect(thumbnail.count <= 10_240)
            #expect(jpegSize(thumbnail).map { [$0.0, $0.1] } == [96, 96])
            let large = try #require(try dc.value("jpegPhoto", of: "(mail=kilo3@contoso.test)", under: base))
            #expect(jpegSize(large).map { [$0.0, $0.1] } == [300, 300], "the 300×400 original is not enlarged")

            // The next run sees Portrait's own writes as changes; the one after, nothing at all.
            let second = try push(workspace, "-v")
            #expect(tally(try second.json(), "ad", "unchanged") == 12)
            #expect(second.stderr.contains("ad: listed 1000 entries (changes since USN"))
            let third = try push(workspace, "-v")
            #expect(tally(try third.json(), "ad", "unchanged") == 12)
            let quiet = try #require(listingOperations(third), "\(third.stderr)")
            #expect(quiet <= 2, "an unchanged directory is checked with a root read")

            // Outside Portrait: a phone number changed (the photo is still Portrait's), a photo
            // replaced, a person deleted, another moved out of the OU.
            let other = try SamplePortrait.bitmap(seed: 99, width: 96, height: 96).encoded(as: .jpeg(quality: 80, orientation: nil))
            try dc.modify("""
                dn: CN=kilo 1,\(base)
                changetype: modify
                replace: telephoneNumber
                telephoneNumber: +1 555 0100

                dn: CN=kilo 2,\(base)
                changetype: modify
                replace: thumbnailPhoto
                thumbnailPhoto:: \(other.base64EncodedString())

                dn: CN=kilo 4,\(base)
                changetype: delete

                dn: OU=Elsewhere,\(SambaDC.baseDN)
                changetype: add
                objectClass: organizationalUnit

                dn: CN=kilo 5,\(base)
                changetype: modrdn
                newrdn: CN=kilo 5
                deleteoldrdn: 1
                newsuperior: OU=Elsewhere,\(SambaDC.baseDN)

                """)
            let fourth = try push(workspace, "-v")
            let json = try fourth.json()
            #expect(fourth.status == 1)
            #expect(fourth.stderr.contains("ad: listed 998 entries (changes since USN"), "\(fourth.stderr)")
            #expect(tally(json, "ad", "uploaded") == 1)
            #expect(tally(json, "ad", "unchanged") == 9)
            let replaced = (json["replaced"] as? [[String: Any]])?.compactMap { $0["person"] as? String }
            #expect(replaced == ["kilo2@contoso.test"])
            let failed = ((json["errors"] as? [[String: Any]]) ?? []).compactMap { $0["person"] as? String }.sorted()
            #expect(failed == ["kilo4@contoso.test", "kilo5@contoso.test"])

            // Reading back the thumbnails; nothing fetched again on a re-run.
            let pull = try workspace.cli.run(["pull", "--config", "portrait.toml", "--from", "ad", "--out", "pulled", "--json"])
            #expect(pull.status == 0, "\(pull.stdout)\n\(pull.stderr)")
            #expect(try pull.json()["downloaded"] as? Int == 10)
            #expect(try pull.json()["without_photo"] as? Int == 988)
            let pulled = try workspace.read("pulled/kilo3@contoso.test.jpg")
            #expect(pulled == thumbnail)
            let again = try workspace.cli.run(["pull", "--config", "portrait.toml", "--from", "ad", "--out", "pulled", "--json", "-v"])
            #expect(try again.json()["downloaded"] as? Int == 0)
            #expect(try again.json()["unchanged"] as? Int == 10)
        }
    }

    /// AD keeps the bytes as written: every kind of photo, pushed once, is Portrait's own after.
    @Test func everyKindOfPhotoIsWrittenOnceAndThenLeftAlone() async throws {
        try await blocking {
            let dc = try SambaDC.shared()
            let count = PhotoKind.allCases.count * 2
            try dc.addUsers(ou: "Kinds", prefix: "kind", count: count)
            let workspace = try setup(dc, ou: "Kinds", prefix: "kind", photos: count, kinds: PhotoKind.allCases, adLines: "jpeg_photo = true")
            let first = try push(workspace)
            let firstJSON = try first.json()
            #expect(first.status == 0 && tally(firstJSON, "ad", "uploaded") == count, "\(first.stdout)\n\(first.stderr)")
            for run in 2...3 {
                let again = try push(workspace).json()
                #expect(tally(again, "ad", "uploaded") == 0 && tally(again, "ad", "unchanged") == count, "run \(run): \(again)")
            }
        }
    }

    @Test func signInAndTLSMistakesSayWhatToDo() async throws {
        try await blocking {
            let dc = try SambaDC.shared()
            try dc.addUsers(ou: "Signin", prefix: "sig", count: 2)
            let workspace = try setup(dc, ou: "Signin", prefix: "sig", photos: 1)
            let check = { try workspace.cli.run(["check", "--config", "portrait.toml", "--system", "ad"]) }
            #expect(try check().status == 0)

            try workspace.write("ad-password", "not-the-password")
            let wrong = try check()
            #expect(wrong.status == 3)
            #expect(wrong.stdout.contains("wrong password; check `bind_dn` and the password"), "\(wrong.stdout)")
            #expect(!wrong.stdout.contains("not-the-password") && !wrong.stderr.contains("not-the-password"))
            try workspace.write("ad-password", dc.password)

            let toml = try String(decoding: workspace.read("portrait.toml"), as: UTF8.self)
            let variant = { (from: String, to: String) throws -> CLI.Result in
                try workspace.write("portrait.toml", toml.replacingOccurrences(of: from, with: to))
                return try check()
            }
            let otherCA = try variant(dc.caFile, dc.otherCAFile)
            #expect(otherCA.status == 3)
            #expect(otherCA.stdout.contains("is not signed by the CA in tls_ca_file \(dc.otherCAFile)"), "\(otherCA.stdout)")
            let startTLS = try variant("url = \"ldaps://127.0.0.1\"", "url = \"ldap://127.0.0.1\"\nstarttls = true")
            #expect(startTLS.status == 0, "\(startTLS.stdout)")
            let plain = try variant("url = \"ldaps://127.0.0.1\"", "url = \"ldap://127.0.0.1\"")
            #expect(plain.status == 2)
            #expect(plain.stderr.contains("ldap:// without starttls sends the password unencrypted"))
            let allowed = try variant("url = \"ldaps://127.0.0.1\"", "url = \"ldap://127.0.0.1\"\nallow_insecure_bind = true")
            #expect(allowed.status == 0, "\(allowed.stdout)")
            let tooLarge = try variant("password_file", "max_bytes = 102401\npassword_file")
            #expect(tooLarge.status == 2)
            #expect(tooLarge.stderr.contains("thumbnailPhoto holds at most 102400 bytes"))
            let noBase = try variant("OU=Signin,", "OU=Nowhere,")
            #expect(noBase.status == 2)
            #expect(noBase.stdout.contains("base_dn OU=Nowhere,DC=contoso,DC=test does not exist"))
            let closed = try variant("ldaps://127.0.0.1", "ldaps://127.0.0.1:1")
            #expect(closed.status == 3)
            #expect(closed.stdout.contains("cannot reach ldaps://127.0.0.1:1"))
        }
    }

    @Test func aBindAccountWithoutWriteRightsIsToldWhatToDelegate() async throws {
        try await blocking {
            let dc = try SambaDC.shared()
            try dc.addUsers(ou: "Rights", prefix: "right", count: 3)
            let password = "Reader-Pass-42!"
            let quoted = Data("\"\(password)\"".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
            try dc.modify("""
                dn: CN=Photo Reader,OU=Rights,\(SambaDC.baseDN)
                changetype: add
                objectClass: user
                sAMAccountName: photoreader
                unicodePwd:: \(quoted.base64EncodedString())
                userAccountControl: 512

                """)
            let workspace = try setup(dc, ou: "Rights", prefix: "right", photos: 3)
            try workspace.write("ad-password", password)
            let toml = try String(decoding: workspace.read("portrait.toml"), as: UTF8.self)
            try workspace.write("portrait.toml", toml.replacingOccurrences(of: SambaDC.adminDN, with: "CN=Photo Reader,OU=Rights,\(SambaDC.baseDN)"))

            let check = try workspace.cli.run(["check", "--config", "portrait.toml", "--system", "ad"])
            #expect(check.stdout.contains("may not write thumbnailPhoto"), "\(check.stdout)\n\(check.stderr)")
            let result = try push(workspace)
            #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
            let messages = ((try result.json()["errors"] as? [[String: Any]]) ?? []).compactMap { $0["message"] as? String }
            #expect(messages.count == 3)
            #expect(messages.allSatisfy { $0.contains("may not write thumbnailPhoto") && $0.contains("delegate 'Write thumbnailPhoto' on the OU") }, "\(messages)")
        }
    }

    @Test func theDCStoppingMidRunFailsClearlyAndTheNextRunFinishesWithoutWritingTwice() async throws {
        try await blocking {
            let dc = try SambaDC.shared()
            let base = "OU=Outage,\(SambaDC.baseDN)"
            let people = 300
            try dc.addUsers(ou: "Outage", prefix: "out", count: people)
            let workspace = try setup(dc, ou: "Outage", prefix: "out", photos: people, adLines: "jpeg_photo = true")
            let run = try workspace.start(["push", "--config", "portrait.toml", "--from", "hr", "--to", "ad", "--json"])
            var written = 0
            while run.isRunning, written < 20 {
                written = try dc.search(base: base, filter: "(thumbnailPhoto=*)", "dn").components(separatedBy: "dn: ").count - 1
                usleep(50_000)
            }
            try dc.stop()
            defer { try? dc.restart() }
            let stopped = try awaitResult(run)
            #expect(stopped.status == 3, "\(stopped.stdout)\n\(stopped.stderr)")
            let firstUploaded = try #require(tally(try stopped.json(), "ad", "uploaded"))
            #expect(firstUploaded < people)
            #expect((try stopped.json()["unreachable"] as? [String: String])?["ad"] != nil)

            try dc.restart()
            let resumed = try push(workspace)
            #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")
            let json = try resumed.json()
            let secondUploaded = try #require(tally(json, "ad", "uploaded"))
            #expect(firstUploaded + secondUploaded <= people, "nothing written twice")
            #expect((tally(json, "ad", "unchanged") ?? 0) + secondUploaded == people)
            let withPhoto = try dc.search(base: base, filter: "(thumbnailPhoto=*)", "dn").components(separatedBy: "dn: ").count - 1
            #expect(withPhoto == people)
        }
    }

    private func awaitResult(_ run: RunningCLI) throws -> CLI.Result {
        let semaphore = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: CLI.Result?
        Task {
            result = try? await run.finish(within: .seconds(300))
            semaphore.signal()
        }
        semaphore.wait()
        return try #require(result)
    }
}
