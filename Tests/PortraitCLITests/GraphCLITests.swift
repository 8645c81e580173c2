import Foundation
import Sandbox
import PortraitCore
import Testing

/// `portrait push` and `pull` against the Graph sandbox, over real HTTP.
@Suite(.serialized) struct GraphCLITests {
    @Test func pushWithSecretThenNothingChanges() async throws {
        try await withSandbox { sandbox in
            let work = try Workspace()
            try work.graphSetup(sandbox: sandbox, people: 5)
            let first = try await work.graphPush()
            #expect(first.status == 0, "\(first.stdout) \(first.stderr)")
            #expect(tally(try first.json(), "m365", "uploaded") == 5)
            // Graph keeps its own copy: a centre square of at most 648.
            let stored = try #require(await sandbox.graph.photo(ofUser: SamplePeople.mail(0, domain: "example.com")))
            #expect(stored.count > 1000)

            let again = try await work.graphPush()
            #expect(again.status == 0)
            #expect(tally(try again.json(), "m365", "unchanged") == 5)
            #expect(await sandbox.graph.stats().uploads == 5)
        }
    }

    @Test(arguments: ["PS256", "RS256"])
    func pushWithCertificate(algorithm: String) async throws {
        let certificate = try TestCertificate()
        try await withSandbox({ $0.certificatePEM = certificate.certificatePEM; $0.clientSecret = nil }) { sandbox in
            let work = try Workspace()
            try work.graphSetup(sandbox: sandbox, people: 2, credential: try certificate.install(in: work, algorithm: algorithm))
            let result = try await work.graphPush()
            #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
            #expect(tally(try result.json(), "m365", "uploaded") == 2)
        }
    }

    @Test func wrongSecretIsExitThreeAndSaysWhatToDo() async throws {
        try await withSandbox { sandbox in
            let work = try Workspace()
            try work.graphSetup(sandbox: sandbox, people: 1)
            let result = try await work.cli.running(["push", "--config", "portrait.toml", "--from", "hr", "--to", "m365", "--json"],
                                          environment: [Workspace.secretVariable: "not-the-secret"])
            #expect(result.status == 3)
            let error = try #require(try result.json()["error"] as? String)
            #expect(error.contains("AADSTS7000215"))
            #expect(error.contains("client secret is wrong or has expired"))
            #expect(!result.stderr.contains("not-the-secret") && !result.stdout.contains("not-the-secret"))
        }
    }

    @Test func wrongCertificateIsExitThree() async throws {
        let registered = try TestCertificate()
        let other = try TestCertificate()
        try await withSandbox({ $0.certificatePEM = registered.certificatePEM }) { sandbox in
            let work = try Workspace()
            try work.graphSetup(sandbox: sandbox, people: 1, credential: try other.install(in: work))
            let result = try await work.graphPush()
            #expect(result.status == 3)
            let error = try #require(try result.json()["error"] as? String)
            #expect(error.contains("AADSTS700027"))
            #expect(error.contains("upload certificate_file's certificate"))
        }
    }

    @Test func unknownTenantIsExitThree() async throws {
        try await withSandbox { sandbox in
            let work = try Workspace()
            try work.graphSetup(sandbox: sandbox, people: 1, tenant: "fabrikam.test")
            let result = try await work.graphPush()
            #expect(result.status == 3)
            #expect((try result.json()["error"] as? String)?.contains("tenant fabrikam.test was not found") == true)
        }
    }

    @Test func listsEveryPageAndMatchesPeopleOnTheLast() async throws {
        try await withSandbox({ $0.users = 1_100 }) { sandbox in
            let work = try Workspace()
            try work.graphSetup(sandbox: sandbox, people: 0)
            // Someone listed on the second page of 999.
            try work.portrait("photos/late.jpg", seed: 1)
            try work.write("photos/map.csv", "path,mail\nlate.jpg,\(SamplePeople.mail(1_050, domain: "example.com"))\nlate.jpg,nobody@example.com\n")
            let result = try await work.graphPush()
            #expect(result.status == 1)
            let json = try result.json()
            #expect(tally(json, "m365", "uploaded") == 1)
            let errors = try #require(json["errors"] as? [[String: String]])
            #expect(errors.first?["message"]?.contains("nobody in m365 matches mail nobody@example.com") == true)
            #expect(await sandbox.graph.stats().listPages >= 2)
            #expect(await sandbox.graph.photo(ofUser: SamplePeople.mail(1_050, domain: "example.com")) != nil)
        }
    }

    @Test func throttlingIsHonouredAndNothingIsLost() async throws {
        try await withSandbox({ $0.graphLimits = [.concurrency(2, scope: .photos), .window(5, per: .seconds(1))]; $0.latency = .milliseconds(10) }) { sandbox in
            let work = try Workspace()
            try work.graphSetup(sandbox: sandbox, people: 30)
            let result = try await work.graphPush()
            #expect(result.status == 0, "\(result.stdout)")
            #expect(tally(try result.json(), "m365", "uploaded") == 30)
            let stats = await sandbox.graph.stats()
            #expect(stats.throttled > 0, "the test must actually throttle")
            #expect(stats.earlyRequests == 0)
            #expect(stats.uploads == 30)
        }
    }

    @Test func faultsAndShortLivedTokensLoseNothing() async throws {
        try await withSandbox({ $0.faultRate = 0.1; $0.tokenLifetime = 5; $0.latency = .milliseconds(20); $0.seed = 7 }) { sandbox in
            let work = try Workspace()
            try work.graphSetup(sandbox: sandbox, people: 40)
            let result = try await work.graphPush()
            #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
            #expect(tally(try result.json(), "m365", "uploaded") == 40)
            for index in 0..<40 {
                #expect(await sandbox.graph.photo(ofUser: SamplePeople.mail(index, domain: "example.com")) != nil)
            }
            let stats = await sandbox.graph.stats()
            #expect(stats.faultsInjected > 0)
            #expect(stats.earlyRequests == 0)
        }
    }

    @Test func expiredTokenIsRefreshedOnce() async throws {
        // Two requests a photo at 50 ms, four at once: 40 photos take a second, twice the
        // point at which a one-second token is refreshed.
        try await withSandbox({ $0.tokenLifetime = 1; $0.latency = .milliseconds(50) }) { sandbox in
            let work = try Workspace()
            try work.graphSetup(sandbox: sandbox, people: 40)
            let result = try await work.graphPush()
            #expect(result.status == 0, "\(result.stdout)")
            let stats = await sandbox.graph.stats()
            #expect(stats.tokensIssued > 1)
            #expect(stats.uploads == 40)
        }
    }

    @Test func aRunKilledMidwayResumesWithoutUploadingAgain() async throws {
        try await withSandbox({ $0.latency = .milliseconds(40) }) { sandbox in
            let work = try Workspace()
            try work.graphSetup(sandbox: sandbox, people: 40)
            let process = Process()
            process.executableURL = CLI.executable
            process.arguments = ["push", "--config", "portrait.toml", "--from", "hr", "--to", "m365", "--json"]
            process.currentDirectoryURL = work.url
            process.environment = ProcessInfo.processInfo.environment.merging([Workspace.secretVariable: "sandbox-secret"]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            while await sandbox.graph.stats().uploads < 12, process.isRunning {
                try await Task.sleep(for: .milliseconds(20))
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // Requests the killed run had sent are still being answered: let them land.
            while await sandbox.graph.stats().inFlight > 0 {
                try await Task.sleep(for: .milliseconds(10))
            }
            let before = await sandbox.graph.stats().uploads
            #expect(before >= 12 && before < 40)

            let resumed = try await work.graphPush()
            #expect(resumed.status == 0, "\(resumed.stdout)")
            let json = try resumed.json()
            let uploaded = try #require(tally(json, "m365", "uploaded"))
            // Only what was not recorded is sent again: at most the requests in flight at the kill.
            #expect(uploaded <= 40 - before + 4, "\(resumed.stdout)")
            #expect(await sandbox.graph.stats().uploads == before + uploaded)
            for index in 0..<40 {
                #expect(await sandbox.graph.photo(ofUser: SamplePeople.mail(index, domain: "example.com")) != nil)
            }
        }
    }

    @Test func aPhotoChangedInTheTenantIsReplaced() async throws {
        try await withSandbox { sandbox in
            let work = try Workspace()
            try work.graphSetup(sandbox: sandbox, people: 2)
            #expect(try await work.graphPush().status == 0)
            let mail = SamplePeople.mail(1, domain: "example.com")
            await sandbox.graph.replacePhoto(ofUser: mail, with: try work.read("photos/IMG_0.jpg"))
            let json = try await work.graphPush().json()
            #expect(tally(json, "m365", "uploaded") == 1)
            #expect(tally(json, "m365", "unchanged") == 1)
            let replaced = try #require(json["replaced"] as? [[String: String]])
            #expect(replaced.map { $0["person"] } == [mail])
        }
    }

    @Test func pullRoundTripIsByteIdentical() async throws {
        try await withSandbox({ $0.photoFraction = 0.5 }) { sandbox in
            let work = try Workspace()
            try work.graphSetup(sandbox: sandbox, people: 3)
            #expect(try await work.graphPush().status == 0)
            let pulled = try await work.graphPull()
            #expect(pulled.status == 0, "\(pulled.stdout)")
            let json = try pulled.json()
            let downloaded = try #require(json["downloaded"] as? Int)
            let without = try #require(json["without_photo"] as? Int)
            #expect(downloaded + without == 40)
            #expect(downloaded >= 3)
            for index in 0..<40 {
                let mail = SamplePeople.mail(index, domain: "example.com")
                let served = await sandbox.graph.photo(ofUser: mail)
                let file = work.path("pulled/\(mail).jpg")
                if let served {
                    #expect(try Data(contentsOf: file) == served)
                } else {
                    #expect(!FileManager.default.fileExists(atPath: file.path))
                }
            }
            let manifest = try String(contentsOf: work.path("pulled/manifest.csv"), encoding: .utf8)
            #expect(manifest.hasPrefix("person,file,sha256,version\n"))
            #expect(!manifest.contains("\""), "etags are written without their quotes")
            #expect(manifest.split(separator: "\n").count == downloaded + 1)

            // Nothing changed: nothing is downloaded again.
            let metadataBefore = await sandbox.graph.stats().downloads
            let again = try await work.graphPull().json()
            #expect(again["unchanged"] as? Int == downloaded)
            #expect(await sandbox.graph.stats().downloads == metadataBefore)
        }
    }

    @Test func secretsAndTokensNeverLeak() async throws {
        try await withSandbox({ $0.faultRate = 0.2; $0.seed = 3 }) { sandbox in
            let work = try Workspace()
            try work.graphSetup(sandbox: sandbox, people: 4)
            let result = try await work.graphPush()
            let store = try ["portrait.db", "portrait.db-wal"].filter(work.exists).map { String(decoding: try work.read($0), as: UTF8.self) }
            #expect(!store.isEmpty)
            for haystack in [result.stdout, result.stderr] + store {
                #expect(!haystack.contains("sandbox-secret"))
                #expect(!haystack.contains("sandbox."), "no access token")
            }
        }
    }
}
