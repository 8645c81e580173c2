import CryptoExtras
import Foundation
import PortraitCore
import PortraitImaging
import Sandbox
import Testing

/// `portrait push`, `pull` and `check` against the Google half of the sandbox, over real HTTP.
@Suite(.serialized) struct GoogleCLITests {
    @Test func pushThenNothingChangesThenPullTheSameBytes() async throws {
        try await withSandbox { sandbox in
            let work = try Workspace()
            try work.googleSetup(sandbox: sandbox, people: 6)
            let first = try await work.googlePush()
            #expect(first.status == 0, "\(first.stdout) \(first.stderr)")
            #expect(tally(try first.json(), "gws", "uploaded") == 6)
            let afterFirst = await sandbox.google.stats()
            #expect(afterFirst.uploads == 6)

            // The listing's etags are the versions Portrait recorded: a sign-in check (one user) and
            // one page of users, nothing read.
            let second = try await work.googlePush()
            #expect(tally(try second.json(), "gws", "unchanged") == 6, "\(second.stdout)")
            let afterSecond = await sandbox.google.stats()
            #expect(afterSecond.uploads == 6 && afterSecond.downloads == 0)
            #expect(afterSecond.requests - afterFirst.requests == 2)

            let pulled = try await work.googlePull()
            #expect(pulled.status == 0, "\(pulled.stdout)")
            let json = try pulled.json()
            #expect(json["downloaded"] as? Int == 6)
            for index in 0..<6 {
                let mail = SamplePeople.mail(index, domain: "example.com")
                let served = try #require(await sandbox.google.photo(ofUser: mail))
                #expect(try Data(contentsOf: work.path("pulled/\(mail).jpg")) == served)
            }
            let manifest = try String(contentsOf: work.path("pulled/manifest.csv"), encoding: .utf8)
            #expect(manifest.split(separator: "\n").count == 7, "\(manifest)")
        }
    }

    @Test func aRerunAfterFivePhotosChangedDownloadsOnlyThoseFive() async throws {
        try await withSandbox({ $0.photoFraction = 1 }) { sandbox in
            let work = try Workspace()
            try work.googleSetup(sandbox: sandbox, people: 0)
            let first = try await work.googlePull()
            #expect(try first.json()["downloaded"] as? Int == 40)
            let before = await sandbox.google.stats()
            for index in [3, 9, 17, 22, 38] {
                let bytes = try SamplePortrait.bitmap(seed: 500 + index, width: 200, height: 260).encoded(as: .jpeg(quality: 90, orientation: nil))
                await sandbox.google.replacePhoto(ofUser: SamplePeople.mail(index, domain: "example.com"), with: bytes)
            }
            let second = try await work.googlePull()
            let json = try second.json()
            #expect(json["downloaded"] as? Int == 5, "\(second.stdout)")
            #expect(json["unchanged"] as? Int == 35)
            let after = await sandbox.google.stats()
            #expect(after.downloads - before.downloads == 5)
            #expect(after.listPages - before.listPages == 2, "the sign-in check and one page")
        }
    }

    @Test func aDomainOfOverFiveHundredIsListedInPages() async throws {
        try await withSandbox({ $0.users = 1_050 }) { sandbox in
            let work = try Workspace()
            try work.googleSetup(sandbox: sandbox, people: 0)
            let pulled = try await work.googlePull()
            #expect(pulled.status == 0, "\(pulled.stdout)")
            // 1,050 people and the admin: the sign-in check, three pages of at most 500, and no
            // photo to read.
            #expect(try pulled.json()["without_photo"] as? Int == 1_051)
            let stats = await sandbox.google.stats()
            #expect(stats.listPages == 4 && stats.requests == 4, "\(stats)")
        }
    }

    @Test func anUndelegatedScopeIsExitThreeWithTheFix() async throws {
        try await withSandbox({ $0.googleDelegatedScopes = ["https://www.googleapis.com/auth/admin.directory.user"] }) { sandbox in
            let work = try Workspace()
            try work.googleSetup(sandbox: sandbox, people: 1)
            let result = try await work.cli.running(["check", "--config", "portrait.toml", "--json"])
            #expect(result.status == 3, "\(result.stdout)")
            let text = result.stdout
            #expect(text.contains("unauthorized_client"))
            #expect(text.contains("authorise client id \(sandbox.options.googleClientId) for scope https://www.googleapis.com/auth/admin.directory.user.readonly"), "\(text)")
            #expect(text.contains("Domain-wide delegation"))
        }
    }

    @Test func aWrongKeyIsExitThreeWithTheFix() async throws {
        try await withSandbox { sandbox in
            let work = try Workspace()
            try work.googleSetup(sandbox: sandbox, people: 1)
            // Another key under the same key id: what a deleted and re-created key looks like.
            let other = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            var key = try #require(try JSONSerialization.jsonObject(with: work.read("google-key.json")) as? [String: Any])
            key["private_key"] = other.pkcs8PEMRepresentation
            try work.write("google-key.json", try JSONSerialization.data(withJSONObject: key))
            let result = try await work.googlePush()
            #expect(result.status == 3)
            let error = try #require(try result.json()["error"] as? String)
            #expect(error.contains("Invalid JWT Signature") && error.contains("create a new JSON key"), "\(error)")
            #expect(!result.stdout.contains("PRIVATE KEY") && !result.stderr.contains("PRIVATE KEY"))
        }
    }

    @Test func aSubjectWhoIsNotAnAdminIsExitThreeWithTheFix() async throws {
        try await withSandbox { sandbox in
            let work = try Workspace()
            try work.googleSetup(sandbox: sandbox, people: 1, admin: SamplePeople.mail(0, domain: "example.com"))
            let result = try await work.googlePush()
            #expect(result.status == 3)
            let error = try #require(try result.json()["error"] as? String)
            #expect(error.contains("Not Authorized to access this resource/api") && error.contains("set `admin` to a super administrator"), "\(error)")

            try work.googleSetup(sandbox: sandbox, people: 1, admin: "nobody@example.com")
            let unknown = try await work.googlePush()
            #expect(unknown.status == 3)
            #expect(try #require(try unknown.json()["error"] as? String).contains("is not a user of the domain"))
        }
    }

    @Test func aCustomerGoogleDoesNotKnowStopsTheRunWithTheFix() async throws {
        try await withSandbox { sandbox in
            let work = try Workspace()
            try work.googleSetup(sandbox: sandbox, people: 2, extra: "customer = \"C0nonexist\"")
            let result = try await work.googlePush()
            // A setting to correct, as any configuration mistake: exit 2.
            #expect(result.status == 2, "\(result.stdout)")
            let error = try #require(try result.json()["error"] as? String)
            #expect(error.contains("check `customer` (\"C0nonexist\")"), "\(error)")
        }
    }

    @Test func badKeyFilesAreExitTwoNamingTheFileAndTheFix() async throws {
        try await withSandbox { sandbox in
            let work = try Workspace()
            try work.googleSetup(sandbox: sandbox, people: 1)
            let good = try work.read("google-key.json")
            let cases: [(Data, Int16, String)] = [
                (Data("not json".utf8), 0o600, "is not JSON"),
                (try JSONSerialization.data(withJSONObject: ["type": "service_account", "client_email": "a@b", "client_id": "1", "private_key_id": "k"]),
                 0o600, "lacks `private_key`"),
                (try JSONSerialization.data(withJSONObject: ["type": "authorized_user", "client_id": "1"]), 0o600, "not a service account key"),
                (good, 0o644, "chmod 600"),
            ]
            for (contents, mode, expected) in cases {
                try work.write("google-key.json", contents)
                try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: work.path("google-key.json").path)
                let result = try await work.googlePush()
                #expect(result.status == 2, "\(expected): \(result.stdout)")
                let error = try #require(try result.json()["error"] as? String)
                #expect(error.contains("google-key.json") && error.contains(expected), "\(error)")
                #expect(!error.contains("PRIVATE KEY"))
            }
        }
    }

    @Test func aSuspendedUserAndSomeoneWithoutAnAccountAreErrorsForThemAlone() async throws {
        try await withSandbox({ $0.googleSuspended = [SamplePeople.mail(1, domain: "example.com")] }) { sandbox in
            let work = try Workspace()
            try work.googleSetup(sandbox: sandbox, people: 4)
            try work.portrait("photos/stranger.jpg", seed: 99)
            var csv = try String(contentsOf: work.path("photos/map.csv"), encoding: .utf8)
            csv += "stranger.jpg,stranger@example.com\n"
            try work.write("photos/map.csv", csv)
            let result = try await work.googlePush()
            #expect(result.status == 1, "\(result.stdout)")
            let json = try result.json()
            #expect(tally(json, "gws", "uploaded") == 3)
            let errors = try #require(json["errors"] as? [[String: String]])
            let suspended = try #require(errors.first { $0["person"] == SamplePeople.mail(1, domain: "example.com") }?["message"])
            #expect(suspended.contains("is suspended in Google Workspace"))
            #expect(errors.contains { $0["person"] == "stranger@example.com" }, "\(errors)")
            #expect(await sandbox.google.stats().uploads == 3)
        }
    }

    @Test func aUsersOwnPhotoIsReplacedWhenAsked() async throws {
        let mail = SamplePeople.mail(0, domain: "example.com")
        try await withSandbox({ $0.googleSelfSetPhotos = [mail] }) { sandbox in
            let work = try Workspace()
            try work.googleSetup(sandbox: sandbox, people: 1, extra: "replace_user_photo = true")
            let own = await sandbox.google.photo(ofUser: mail)
            #expect(try await work.googlePush().status == 0)
            let shown = try #require(await sandbox.google.photo(ofUser: mail))
            #expect(shown != own, "the admin's upload shows, not the user's own photo")
            #expect(await sandbox.google.stats().deletes == 1)
        }
    }

    @Test func faultsAndFiveSecondTokensLoseNothing() async throws {
        try await withSandbox({ $0.faultRate = 0.1; $0.tokenLifetime = 5; $0.latency = .milliseconds(30); $0.seed = 5 }) { sandbox in
            let work = try Workspace()
            try work.googleSetup(sandbox: sandbox, people: 40)
            let result = try await work.googlePush()
            #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
            #expect(tally(try result.json(), "gws", "uploaded") == 40)
            let stats = await sandbox.google.stats()
            #expect(stats.faultsInjected > 0 && stats.earlyRequests == 0)
            for index in 0..<40 {
                #expect(await sandbox.google.photo(ofUser: SamplePeople.mail(index, domain: "example.com")) != nil)
            }
        }
    }

    @Test func aRunKilledMidwayResumesWithoutWritingTwice() async throws {
        try await withSandbox({ $0.latency = .milliseconds(80) }) { sandbox in
            let work = try Workspace()
            try work.googleSetup(sandbox: sandbox, people: 40, extra: "quota_per_minute = 600")
            let process = try work.start(["push", "--config", "portrait.toml", "--from", "hr", "--to", "gws", "--json"])
            while await sandbox.google.stats().uploads < 10, process.isRunning {
                try await Task.sleep(for: .milliseconds(10))
            }
            kill(process.pid, SIGKILL)
            _ = try await process.finish(within: .seconds(60))
            // Requests the killed run had sent are still being answered: let them land.
            while await sandbox.google.stats().inFlight > 0 {
                try await Task.sleep(for: .milliseconds(10))
            }
            let before = await sandbox.google.stats().uploads
            #expect(before >= 10 && before < 40)

            let resumed = try await work.googlePush()
            #expect(resumed.status == 0, "\(resumed.stdout)")
            // Writes that landed before the kill are found there and recorded, not sent again.
            #expect(tally(try resumed.json(), "gws", "uploaded") == 40 - before, "\(resumed.stdout)")
            #expect(await sandbox.google.stats().uploads == 40)
        }
    }

    /// Google's quota is per minute, so this takes a little over one.
    @Test func aQuotaLowerThanConfiguredLosesNothingAndNeverRetriesEarly() async throws {
        try await withSandbox({ $0.googleLimits = [.window(20, per: .seconds(60), retryAfter: false)] }) { sandbox in
            let work = try Workspace()
            try work.googleSetup(sandbox: sandbox, people: 30, extra: "quota_per_minute = 40")
            let result = try await work.googlePush()
            #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
            #expect(tally(try result.json(), "gws", "uploaded") == 30)
            let stats = await sandbox.google.stats()
            #expect(stats.uploads == 30)
            #expect(stats.throttled > 0, "the sandbox's quota was reached")
            #expect(stats.earlyRequests == 0)
            // Adapted down: the requests in flight at the first refusal, then a few probes — not
            // one refusal per photo.
            #expect(stats.throttled < 30, "\(stats.throttled) quota errors")
            // Said on stderr, with Google's reason, not as a bare 403.
            #expect(result.stderr.contains("gws: the service asks for less (HTTP 403 userRateLimitExceeded)"), "\(result.stderr)")
        }
    }
}
