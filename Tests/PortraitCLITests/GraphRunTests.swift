import Foundation
import Sandbox
import PortraitCore
import Testing

/// How a Graph run behaves in the field: requests per photo, matching, tokens under pauses, a
/// tenant that goes away, Ctrl-C, two runs at once.
/// (In the Graph CLI suite, so that one test at a time drives a sandbox.)
extension GraphCLITests {
    @Test func onePutPerPhotoThenConfirmedOnceThenOneReadEach() async throws {
        try await withSandbox { sandbox in
            let work = try Workspace()
            try work.graphSetup(sandbox: sandbox, people: 12)
            let start = await sandbox.graph.stats()
            #expect(try await work.graphPush().status == 0)
            let first = await sandbox.graph.stats()
            // One PUT per photo; besides, one sign-in check and one page of users.
            #expect(first.uploads - start.uploads == 12)
            #expect(first.metadataReads == 0 && first.downloads == 0)
            #expect(first.requests - start.requests == 12 + 2)

            // The next run sees versions it has not recorded: it reads each photo once to compare.
            let second = try await work.graphPush()
            #expect(tally(try second.json(), "m365", "unchanged") == 12, "\(second.stdout)")
            let afterSecond = await sandbox.graph.stats()
            #expect(afterSecond.uploads == first.uploads)
            #expect(afterSecond.downloads - first.downloads == 12)

            // From then on a version read per person, nothing more.
            #expect(try await work.graphPush().status == 0)
            let third = await sandbox.graph.stats()
            #expect(third.metadataReads - afterSecond.metadataReads == 12)
            #expect(third.downloads == afterSecond.downloads && third.uploads == afterSecond.uploads)
        }
    }

    @Test func aPhotographersMailCSVFindsPeopleByMailThenUPN() async throws {
        try await withSandbox({
            $0.users = 2
            $0.extraUsers = [("noah@example.com", nil), ("mia.ops@example.com", "mia@example.com"), ("mia@example.com", nil)]
        }) { sandbox in
            let work = try Workspace()
            try work.graphSetup(sandbox: sandbox, people: 0)
            try work.portrait("photos/a.jpg", seed: 1)
            try work.portrait("photos/b.jpg", seed: 2)
            try work.portrait("photos/c.jpg", seed: 3)
            // No `match` key: ada by mail, noah (no mailbox) by UPN, mia ambiguous.
            try work.write("photos/map.csv", "path,mail\na.jpg,\(SamplePeople.mail(0, domain: "example.com"))\nb.jpg,Noah@Example.com\nc.jpg,mia@example.com\n")
            let result = try await work.graphPush()
            #expect(result.status == 1)
            let json = try result.json()
            #expect(tally(json, "m365", "uploaded") == 2)
            #expect(await sandbox.graph.photo(ofUser: "noah@example.com") != nil)
            let errors = try #require(json["errors"] as? [[String: String]])
            let mia = try #require(errors.first { $0["person"] == "mia@example.com" }?["message"])
            #expect(mia.contains("matches two accounts in m365"))
            #expect(mia.contains("mia.ops@example.com (id ") && mia.contains(", by mail)"), "\(mia)")
            #expect(mia.contains("mia@example.com (id ") && mia.contains(", by mail → userPrincipalName)"), "\(mia)")
        }
    }

    @Test func tokensTakenAfterLongPausesNeverExpireInTheQueue() async throws {
        try await withSandbox({
            $0.faultRate = 0.15; $0.faultRetryAfter = 3; $0.tokenLifetime = 5; $0.latency = .milliseconds(20); $0.seed = 11
        }) { sandbox in
            let work = try Workspace()
            try work.graphSetup(sandbox: sandbox, people: 40)
            let result = try await work.graphPush()
            #expect(result.status == 0, "\(result.stdout)")
            let stats = await sandbox.graph.stats()
            #expect((stats.byStatus["503"] ?? 0) > 0, "the test must pause on a 503's Retry-After")
            #expect(stats.tokensIssued > 1, "the run outlives a token")
            #expect(stats.expiredTokenRejections == 0, "no request carries a token that expired while it waited")
            #expect(stats.earlyRequests == 0)
            for index in 0..<40 {
                #expect(await sandbox.graph.photo(ofUser: SamplePeople.mail(index, domain: "example.com")) != nil)
            }
        }
    }

    @Test func aTenantThatGoesAwayEndsTheRunWithExitThreeAndOneError() async throws {
        let sandbox = try await Sandbox.start({
            var options = SandboxOptions()
            options.users = 40
            options.photoFraction = 0
            options.latency = .milliseconds(60)
            return options
        }())
        let work = try Workspace()
        try work.graphSetup(sandbox: sandbox, people: 40)
        let process = try work.start(["push", "--config", "portrait.toml", "--from", "hr", "--to", "m365", "--json"])
        while await sandbox.graph.stats().uploads < 8, process.isRunning {
            try await Task.sleep(for: .milliseconds(20))
        }
        await sandbox.stop()
        let result = try await process.finish(within: .seconds(120))
        #expect(result.status == 3, "\(result.stdout) \(result.stderr)")
        let json = try result.json()
        let reason = try #require((json["unreachable"] as? [String: String])?["m365"])
        #expect(reason.contains("cannot connect to 127.0.0.1"))
        #expect((json["errors"] as? [Any])?.isEmpty == true, "the outage is one error, not one per person")
        #expect((tally(json, "m365", "failed") ?? 0) > 0)
        #expect(result.stderr.contains("m365: unreachable for the rest of this run"))
    }

    @Test func anHTTPSAddressOnAnHTTPPortSaysSo() async throws {
        try await withSandbox { sandbox in
            let work = try Workspace()
            try work.graphSetup(sandbox: sandbox, people: 1)
            let config = try String(contentsOf: work.path("portrait.toml"), encoding: .utf8)
            try work.write("portrait.toml", config.replacingOccurrences(of: "graph_url = \"http://", with: "graph_url = \"https://"))
            let result = try await work.graphPush()
            #expect(result.status == 3)
            let error = try #require(try result.json()["error"] as? String)
            #expect(error.contains("TLS handshake with 127.0.0.1:\(sandbox.port) failed — is this an http:// address?"), "\(error)")
        }
    }

    @Test func ctrlCStopsGracefullyAndTheSameCommandResumes() async throws {
        try await withSandbox({ $0.latency = .milliseconds(50) }) { sandbox in
            let work = try Workspace()
            try work.graphSetup(sandbox: sandbox, people: 40)
            let process = try work.start(["push", "--config", "portrait.toml", "--from", "hr", "--to", "m365", "--json"])
            while await sandbox.graph.stats().uploads < 10, process.isRunning {
                try await Task.sleep(for: .milliseconds(10))
            }
            kill(process.pid, SIGINT)
            let stopped = try await process.finish(within: .seconds(120))
            #expect(stopped.status == 130, "\(stopped.stderr)")
            #expect(stopped.stderr.contains("Interrupted after"))
            #expect(stopped.stderr.contains("run the same command to resume"))
            let json = try stopped.json()
            #expect(json["interrupted"] as? Bool == true)
            let done = try #require(tally(json, "m365", "uploaded"))
            #expect(done >= 10 && done < 40)
            // Writes in flight finished and were recorded: nothing is sent twice.
            #expect(await sandbox.graph.stats().uploads == done)

            let resumed = try await work.graphPush()
            #expect(resumed.status == 0)
            #expect(tally(try resumed.json(), "m365", "uploaded") == 40 - done)
            #expect(await sandbox.graph.stats().uploads == 40)

            let runs = try await work.cli.running(["log", "--config", "portrait.toml", "--list", "--json"])
            let outcomes = try #require((try runs.json()["runs"] as? [[String: Any]])?.compactMap { $0["outcome"] as? String })
            #expect(outcomes == ["ok", "interrupted"])
        }
    }

    @Test func aSecondRunOnTheSameStoreIsRefusedNamingTheFirst() async throws {
        try await withSandbox({ $0.latency = .milliseconds(200) }) { sandbox in
            let work = try Workspace()
            try work.graphSetup(sandbox: sandbox, people: 20)
            let first = try work.start(["push", "--config", "portrait.toml", "--from", "hr", "--to", "m365"])
            // The lock is taken before the first request; 20 uploads at 200 ms, 4 at a time, follow.
            while await sandbox.graph.stats().tokenRequests < 1, first.isRunning {
                try await Task.sleep(for: .milliseconds(10))
            }
            let second = try await work.cli.running(["pull", "--config", "portrait.toml", "--from", "m365", "--out", "pulled"],
                                          environment: [Workspace.secretVariable: "sandbox-secret"])
            #expect(second.status == 2)
            #expect(second.stderr.contains("another portrait run is using the store"))
            #expect(second.stderr.contains("portrait push --config portrait.toml --from hr --to m365"))
            #expect(try await first.finish(within: .seconds(120)).status == 0)
        }
    }

    @Test func pointedAtAnotherTenantNothingIsReportedReplaced() async throws {
        try await withSandbox { sandbox in
            let work = try Workspace()
            try work.graphSetup(sandbox: sandbox, people: 3)
            #expect(try await work.graphPush().status == 0)
            try await withSandbox({ $0.tenant = "fabrikam.test" }) { other in
                try work.graphSetup(sandbox: other, people: 3, tenant: "fabrikam.test")
                let json = try await work.graphPush().json()
                #expect(tally(json, "m365", "uploaded") == 3)
                #expect((json["replaced"] as? [Any])?.isEmpty == true)
                #expect((json["restored"] as? [Any])?.isEmpty == true)
            }
        }
    }

    @Test func aDryRunFirstCountsThePhotosAFirstPushWouldReplace() async throws {
        try await withSandbox({ $0.photoFraction = 1 }) { sandbox in
            let work = try Workspace()
            try work.graphSetup(sandbox: sandbox, people: 3)
            let dry = try await work.cli.running(["push", "--config", "portrait.toml", "--from", "hr", "--to", "m365", "--dry-run"],
                                       environment: [Workspace.secretVariable: "sandbox-secret"])
            #expect(dry.status == 0)
            #expect(dry.stdout.contains("m365: 3 people already have a photo there that this push would replace."), "\(dry.stdout)")
            #expect(await sandbox.graph.stats().uploads == 0)
        }
    }

    @Test func aPhotoDeletedInTheTenantIsRestoredAndSaidSo() async throws {
        try await withSandbox { sandbox in
            let work = try Workspace()
            try work.graphSetup(sandbox: sandbox, people: 2)
            #expect(try await work.graphPush().status == 0)
            let mail = SamplePeople.mail(1, domain: "example.com")
            await sandbox.graph.deletePhoto(ofUser: mail)
            let json = try await work.graphPush().json()
            #expect(tally(json, "m365", "uploaded") == 1)
            #expect((json["replaced"] as? [Any])?.isEmpty == true)
            let restored = try #require(json["restored"] as? [[String: String]])
            #expect(restored.map { $0["person"] } == [mail])
            #expect(restored.first?["message"]?.contains("restored a photo deleted in m365") == true)
        }
    }
}

extension GraphCLITests {
    @Test func aSandboxOnATakenPortSuggestsPortZero() async throws {
        try await withSandbox { sandbox in
            let result = try await CLI(directory: FileManager.default.temporaryDirectory).running(["sandbox", "--port", "\(sandbox.port)"])
            #expect(result.status == 3)
            #expect(result.stderr.contains("cannot listen on 127.0.0.1:\(sandbox.port)"))
            #expect(result.stderr.contains("Pass --port 0 to pick a free port"))
        }
    }
}

extension GraphCLITests {
    @Test func aPullNeverWritesIntoSomeonesPhotos() async throws {
        try await withSandbox({ $0.photoFraction = 1 }) { sandbox in
            let work = try Workspace()
            try work.graphSetup(sandbox: sandbox, people: 2)
            let result = try await work.graphPull(into: "photos")
            #expect(result.status == 2)
            #expect((try result.json()["error"] as? String)?.contains("already holds 3 files that no pull wrote") == true)
            #expect(await sandbox.graph.stats().downloads == 0)
        }
    }
}
