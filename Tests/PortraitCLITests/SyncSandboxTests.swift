import Foundation
import PortraitCore
import PortraitImaging
import Sandbox
import TestPhotographs
import Testing

/// A workspace with the sandbox's Entra tenant (`m365`) and Google domain (`gws`), a
/// photographer's folder (`hr`) for the same people, and a `[sync]` table.
extension Workspace {
    /// The photographer's `people` are the sandbox's users from `first` on, their photos of `kinds`.
    func syncSetup(sandbox: Sandbox, people: Int, first: Int = 0, kinds: [PhotoKind] = [], more: String = "", sync: String) throws {
        let source = try photographer(people: people, kinds: kinds) { SamplePeople.mail(first + $0, domain: sandbox.options.mailDomain) }
        try write("google-key.json", sandbox.google.serviceAccountKey(tokenURI: sandbox.baseURL + "/token"))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path("google-key.json").path)
        try write("portrait.toml", """
            \(source)

            [systems.m365]
            type = "graph"
            tenant = "\(sandbox.options.tenant)"
            client_id = "\(sandbox.options.clientId)"
            client_secret_env = "\(Self.secretVariable)"
            graph_url = "\(sandbox.baseURL)"
            login_url = "\(sandbox.baseURL)"

            [systems.gws]
            type = "google"
            service_account_file = "google-key.json"
            admin = "\(sandbox.options.googleAdmin)"
            api_url = "\(sandbox.baseURL)"
            \(more)

            [sync]
            \(sync)
            """)
    }

    func sync(_ extra: String...) async throws -> (status: Int32, json: [String: Any], output: String) {
        let result = try await cli.running(["sync", "--config", "portrait.toml", "--json"] + extra,
                                           environment: [Self.secretVariable: "sandbox-secret"])
        return (result.status, try result.json(), result.stdout + result.stderr)
    }
}

/// `changes` of a sync's JSON.
func syncChanges(_ json: [String: Any]) -> [[String: Any]] { json["changes"] as? [[String: Any]] ?? [] }

/// A portrait no system has seen, as a person would upload it.
func newPortrait(seed: Int) throws -> Data {
    try SamplePortrait.bitmap(seed: seed, width: 600, height: 600).encoded(as: .jpeg(quality: 90, orientation: nil))
}

/// `portrait sync` against the sandbox's Entra tenant and Google domain.
@Suite struct SyncSandboxTests {
    /// Every write a sync makes, per service: photo uploads, as the sandbox counted them.
    func uploads(_ sandbox: Sandbox) async -> (graph: Int, google: Int) {
        (await sandbox.graph.stats().uploads, await sandbox.google.stats().uploads)
    }

    @Test func echoesOfThePublishedPhotoAreNotChangesAndAnUnchangedRunWritesNothing() async throws {
        try await withSandbox({ $0.users = 8; $0.photoFraction = 0 }) { sandbox in
            let work = try Workspace()
            try work.syncSetup(sandbox: sandbox, people: 8, sync: """
                sources = ["hr", "m365"]
                targets = ["m365", "gws"]
                precedence = "latest"
                """)
            let first = try await work.sync()
            #expect(first.status == 0, "\(first.output)")
            #expect(tally(first.json, "m365", "uploaded") == 8 && tally(first.json, "gws", "uploaded") == 8)
            // What the sandbox counts as uploads: the syncs' and the outside changes below.
            var written = await uploads(sandbox)

            // Nothing changed: the run reads listings only and writes nothing anywhere.
            let unchanged = try await work.sync()
            #expect(unchanged.status == 0)
            #expect(syncChanges(unchanged.json).isEmpty, "\(unchanged.output)")
            #expect(await uploads(sandbox) == written)

            // An admin re-saves person 2's Entra photo smaller and at lower quality: an echo.
            let mail = SamplePeople.mail(2, domain: "example.com")
            let served = try #require(await sandbox.graph.photo(ofUser: mail))
            let copy = try ImagePipeline().render(Photo(bytes: served, version: nil, origin: "admin"),
                                                  profiles: [RenditionProfile(side: 240, maxBytes: 6000)]).renditions[0]
            await sandbox.graph.replacePhoto(ofUser: mail, with: copy.bytes)
            written.graph += 1
            let echo = try await work.sync()
            #expect(echo.status == 0)
            #expect(syncChanges(echo.json).isEmpty, "\(echo.output)")
            #expect(await uploads(sandbox) == written)

            // Person 3 sets a new photo in Entra: with "latest" it is published to Google only.
            await sandbox.graph.replacePhoto(ofUser: SamplePeople.mail(3, domain: "example.com"), with: try newPortrait(seed: 300))
            written.graph += 1
            let changed = try await work.sync()
            #expect(changed.status == 0, "\(changed.output)")
            let publish = try #require(syncChanges(changed.json).first)
            #expect(syncChanges(changed.json).count == 1)
            #expect(publish["action"] as? String == "publish" && publish["from"] as? String == "m365")
            #expect(publish["to"] as? [String] == ["gws"])
            #expect(await uploads(sandbox) == (written.graph, written.google + 1))

            let again = try await work.sync()
            #expect(syncChanges(again.json).isEmpty, "\(again.output)")
            #expect(await uploads(sandbox) == (written.graph, written.google + 1))
        }
    }

    @Test func aCSVRowNamingNobodyIsAnErrorAndCountedWhereThereIsNoAccount() async throws {
        try await withSandbox({ $0.users = 2; $0.photoFraction = 0 }) { sandbox in
            let work = try Workspace()
            try work.syncSetup(sandbox: sandbox, people: 2, sync: "sources = [\"hr\"]\ntargets = [\"m365\", \"gws\"]")
            try work.portrait("photos/ghost.jpg", seed: 99)
            let csv = try String(contentsOf: work.path("photos/map.csv"), encoding: .utf8)
            try work.write("photos/map.csv", csv + "ghost.jpg,ghost@example.com\n")
            let run = try await work.sync()
            #expect(run.status == 1, "\(run.output)")
            #expect(tally(run.json, "m365", "uploaded") == 2 && tally(run.json, "m365", "skipped") == 1)
            let errors = try #require(run.json["errors"] as? [[String: String]])
            #expect(errors.count == 1 && errors[0]["person"] == "ghost@example.com" && errors[0]["message"]?.contains("nobody in m365, gws matches") == true, "\(errors)")
        }
    }

    @Test func aSyncKilledMidwayResumesWithoutWritingAnythingTwice() async throws {
        try await withSandbox({ $0.users = 40; $0.photoFraction = 0; $0.latency = .milliseconds(40) }) { sandbox in
            let work = try Workspace()
            try work.syncSetup(sandbox: sandbox, people: 40, sync: "sources = [\"hr\"]\ntargets = [\"m365\", \"gws\"]")
            let process = try work.start(["sync", "--config", "portrait.toml", "--json"])
            while await sandbox.graph.stats().uploads < 12, process.isRunning {
                try await Task.sleep(for: .milliseconds(20))
            }
            kill(process.pid, SIGKILL)
            _ = try await process.finish(within: .seconds(60))
            // Requests the killed run had sent are still being answered: let them land.
            while await sandbox.graph.stats().inFlight + sandbox.google.stats().inFlight > 0 {
                try await Task.sleep(for: .milliseconds(10))
            }
            let before = await uploads(sandbox)
            #expect(before.graph >= 12 && before.graph < 40)

            let resumed = try await work.sync()
            #expect(resumed.status == 0, "\(resumed.output)")
            // Writes that landed before the kill are found there and recorded, never sent again.
            #expect(await uploads(sandbox) == (40, 40), "\(resumed.output)")
            for index in 0..<40 {
                let mail = SamplePeople.mail(index, domain: "example.com")
                #expect(await sandbox.graph.photo(ofUser: mail) != nil)
                #expect(await sandbox.google.photo(ofUser: mail) != nil)
            }
            #expect(syncChanges(try await work.sync().json).isEmpty)
            #expect(await uploads(sandbox) == (40, 40))
        }
    }

    @Test func aSecondSyncIsRefusedNamingTheFirst() async throws {
        try await withSandbox({ $0.users = 20; $0.photoFraction = 0; $0.latency = .milliseconds(200) }) { sandbox in
            let work = try Workspace()
            try work.syncSetup(sandbox: sandbox, people: 20, sync: "sources = [\"hr\"]\ntargets = [\"m365\"]")
            let first = try work.start(["sync", "--config", "portrait.toml"])
            // The lock is taken before the first request; 20 uploads at 200 ms, 4 at a time, follow.
            while await sandbox.graph.stats().tokenRequests < 1, first.isRunning {
                try await Task.sleep(for: .milliseconds(10))
            }
            let second = try await work.cli.running(["sync", "--config", "portrait.toml", "--json"],
                                                    environment: [Workspace.secretVariable: "sandbox-secret"])
            #expect(second.status == 2)
            #expect(second.stderr.contains("another portrait run is using the store"), "\(second.stderr)")
            #expect(second.stderr.contains("portrait sync --config portrait.toml"))
            #expect(try await first.finish(within: .seconds(120)).status == 0)
        }
    }

    @Test func aSelfSetGooglePhotoWaitsForApprovalAndIsRevertedThenApproved() async throws {
        try await withSandbox({ $0.users = 4; $0.photoFraction = 0 }) { sandbox in
            let work = try Workspace()
            try work.syncSetup(sandbox: sandbox, people: 4, sync: """
                sources = ["gws", "hr"]
                targets = ["m365", "gws"]
                approval = ["gws"]
                unapproved = "revert"
                """)
            #expect(try await work.sync().status == 0)
            let mail = SamplePeople.mail(1, domain: "example.com")
            let published = try #require(await sandbox.graph.photo(ofUser: mail))
            await sandbox.google.replacePhoto(ofUser: mail, with: try newPortrait(seed: 410))

            let held = try await work.sync()
            #expect(held.status == 0, "\(held.output)")
            #expect(held.json["queued"] as? Int == 1)
            #expect(syncChanges(held.json).map { $0["action"] as? String } == ["queue", "revert"], "\(held.output)")
            #expect(tally(held.json, "gws", "uploaded") == 1, "reverted where it was made")
            #expect(await sandbox.graph.photo(ofUser: mail) == published)

            // Portrait's revert in Google does not take the photo out of the queue.
            let still = try await work.sync()
            #expect(syncChanges(still.json).isEmpty && still.json["waiting"] as? Int == 1, "\(still.output)")

            let approved = try await work.cli.running(["approve", mail, "--config", "portrait.toml", "--by", "hr.anna"])
            #expect(approved.status == 0, "\(approved.stderr)")
            // The approved photo was the one the revert replaced: it comes back from the store.
            let carried = try await work.sync()
            #expect(carried.status == 0, "\(carried.output)")
            #expect(tally(carried.json, "m365", "uploaded") == 1 && tally(carried.json, "gws", "uploaded") == 1, "\(carried.output)")
            #expect(await sandbox.graph.photo(ofUser: mail) != published)
            #expect(syncChanges(try await work.sync().json).isEmpty)
        }
    }
}

extension SyncSandboxTests {
    /// `check` with a policy that repairs photos people set in Entra, per tenant setting.
    func checkWarnings(_ configure: @escaping (inout SandboxOptions) -> Void) async throws -> [String] {
        try await withSandbox({ $0.users = 2; configure(&$0) }) { sandbox in
            let work = try Workspace()
            try work.syncSetup(sandbox: sandbox, people: 2, sync: "sources = [\"hr\", \"m365\"]\ntargets = [\"m365\", \"gws\"]")
            let check = try await work.cli.running(["check", "--config", "portrait.toml", "--json"],
                                                   environment: [Workspace.secretVariable: "sandbox-secret"])
            #expect(check.status == 0, "\(check.stdout)")
            let warnings = try #require(try check.json()["warnings"] as? [[String: Any]])
            return warnings.filter { $0["system"] as? String == "m365" }.compactMap { $0["message"] as? String }
        }
    }

    @Test func checkSaysWhenPeopleMayChangeThePhotosSyncRepairs() async throws {
        let open = try await checkWarnings { $0.graphOptionalPermissions = ["PeopleSettings.Read.All"] }
        #expect(open.count == 1 && open[0].contains("people may change their own photo") && open[0].contains("Who may change a photo"), "\(open)")
        let unreadable = try await checkWarnings { _ in }
        #expect(unreadable.count == 1 && unreadable[0].contains("no PeopleSettings.Read.All"), "\(unreadable)")
        let closed = try await checkWarnings {
            $0.graphOptionalPermissions = ["PeopleSettings.Read.All"]
            $0.photoUpdateAllowedRoles = ["62e90394-69f5-4237-9190-012177145e10"]
        }
        #expect(closed.isEmpty, "\(closed)")
        let onPremises = try await checkWarnings {
            $0.graphOptionalPermissions = ["PeopleSettings.Read.All"]
            $0.photoUpdateSource = "onPremises"
        }
        #expect(onPremises.isEmpty, "\(onPremises)")
    }
}

/// Sync with Active Directory: in the LDAP suite, which runs one test at a time because one of
/// them stops and restarts the shared DC.
extension LDAPCLITests {
    @Test func aPhotoChangedInEntraReachesADAt96PxUnder10KBAndGoogle() async throws {
        let dc = try await blocking { try SambaDC.shared() }
        let ou = "OU=SyncPeople,\(SambaDC.baseDN)"
        var ldif = "dn: \(ou)\nchangetype: add\nobjectClass: organizationalUnit\n\n"
        for index in 0..<6 {
            let mail = SamplePeople.mail(index, domain: "contoso.test")
            ldif += """
                dn: CN=Sync \(index),\(ou)
                changetype: add
                objectClass: user
                sAMAccountName: sync\(index)
                mail: \(mail)
                userPrincipalName: \(mail)
                employeeID: \(SamplePeople.employeeId(index))


                """
        }
        let people = ldif
        try await blocking { try dc.modify(people) }
        try await withSandbox({ $0.users = 6; $0.photoFraction = 1; $0.mailDomain = "contoso.test" }) { sandbox in
            let work = try Workspace()
            try work.write("ad-password", dc.password)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: work.path("ad-password").path)
            try work.syncSetup(sandbox: sandbox, people: 0, more: """

                [systems.ad]
                type = "ldap"
                url = "ldaps://127.0.0.1"
                tls_ca_file = "\(dc.caFile)"
                bind_dn = "\(SambaDC.adminDN)"
                password_file = "ad-password"
                base_dn = "\(ou)"
                """, sync: """
                sources = ["m365"]
                targets = ["m365", "ad", "gws"]
                min_side = 200  # the tenant's photos are 240 px
                """)
            let thumbnail: @Sendable (Int) throws -> Data? = { index in
                try dc.value("thumbnailPhoto", of: "(sAMAccountName=sync\(index))", under: ou)
            }

            let first = try await work.sync()
            #expect(first.status == 0, "\(first.output)")
            #expect(tally(first.json, "ad", "uploaded") == 6 && tally(first.json, "gws", "uploaded") == 6, "\(first.output)")
            #expect(tally(first.json, "m365", "uploaded") == 0, "Entra's photos are the ones published")
            for index in 0..<6 {
                let photo = try #require(try await blocking { try thumbnail(index) })
                #expect(photo.count <= 10_240)
                #expect(jpegSize(photo).map { [$0.0, $0.1] } == [96, 96])
            }

            let before = try #require(try await blocking { try thumbnail(2) })
            await sandbox.graph.replacePhoto(ofUser: SamplePeople.mail(2, domain: "contoso.test"), with: try newPortrait(seed: 200))
            let changed = try await work.sync()
            #expect(changed.status == 0, "\(changed.output)")
            #expect(syncChanges(changed.json).map { $0["to"] as? [String] } == [["ad", "gws"]], "\(changed.output)")
            let after = try #require(try await blocking { try thumbnail(2) })
            #expect(after != before && after.count <= 10_240 && jpegSize(after).map { [$0.0, $0.1] } == [96, 96])

            let again = try await work.sync()
            #expect(syncChanges(again.json).isEmpty, "\(again.output)")
            #expect(tally(again.json, "ad", "uploaded") == 0 && tally(again.json, "gws", "uploaded") == 0)
        }
    }
}

/// The first sync of a tenant that already has photos, as `existing` says: nobody is left
/// without a photo, nothing is written twice, and decisions lose no waiting photo.
@Suite struct FirstSyncTests {
    static let people = 20
    /// People 0, 2, 4… have a photo in Entra before Portrait's first sync.
    static let withPhoto = stride(from: 0, to: people, by: 2).map { $0 }

    func setUp(_ sandbox: Sandbox, existing: String) async throws -> Workspace {
        for index in Self.withPhoto {
            await sandbox.graph.replacePhoto(ofUser: SamplePeople.mail(index, domain: "example.com"), with: try newPortrait(seed: 500 + index))
        }
        let work = try Workspace()
        try work.syncSetup(sandbox: sandbox, people: Self.people, sync: """
            sources = ["m365", "hr"]
            targets = ["m365", "gws"]
            approval = ["m365"]
            existing = "\(existing)"
            """)
        return work
    }

    func uploads(_ sandbox: Sandbox) async -> (Int, Int) { (await sandbox.graph.stats().uploads, await sandbox.google.stats().uploads) }

    @Test func photosAlreadyThereAreTakenAsApprovedByDefault() async throws {
        try await withSandbox({ $0.users = Self.people }) { sandbox in
            let work = try await setUp(sandbox, existing: "approve")
            let before = await uploads(sandbox)
            let dry = try await work.sync("--dry-run")
            #expect(dry.status == 0, "\(dry.output)")
            let found = (dry.json["first_sync"] as? [String: [String: Int]])?["m365"]
            #expect(found == ["approved": Self.withPhoto.count, "queued": 0], "\(dry.output)")
            let text = try await work.cli.running(["sync", "--config", "portrait.toml", "--dry-run"], environment: [Workspace.secretVariable: "sandbox-secret"])
            #expect(text.stdout.contains("First sync of m365: \(Self.withPhoto.count) photos were already there"), "\(text.stdout)")

            let first = try await work.sync()
            #expect(first.status == 0 && first.json["queued"] as? Int == 0, "\(first.output)")
            // Everyone gets a photo in Google; Entra keeps its own and gets HR's where it had none.
            #expect(tally(first.json, "gws", "uploaded") == Self.people && tally(first.json, "m365", "uploaded") == Self.people - Self.withPhoto.count,
                    "\(first.output)")
            let written = await uploads(sandbox)
            #expect(written.0 - before.0 == Self.people - Self.withPhoto.count && written.1 - before.1 == Self.people)
            let second = try await work.sync()
            #expect(syncChanges(second.json).isEmpty && second.json["queued"] as? Int == 0, "\(second.output)")
            #expect(await uploads(sandbox) == written, "an unchanged second sync writes nothing")
        }
    }

    @Test func queuedPhotosWaitWhileEveryoneGetsTheNextPhotoAndDecisionsLoseNone() async throws {
        try await withSandbox({ $0.users = Self.people }) { sandbox in
            let work = try await setUp(sandbox, existing: "queue")
            let first = try await work.sync()
            #expect(first.status == 0 && first.json["queued"] as? Int == Self.withPhoto.count, "\(first.output)")
            #expect((first.json["first_sync"] as? [String: [String: Int]])?["m365"] == ["approved": 0, "queued": Self.withPhoto.count])
            // Nobody is left without a photo in Google: HR's, next in rank, meanwhile; Entra's own stay (hold).
            #expect(tally(first.json, "gws", "uploaded") == Self.people, "\(first.output)")
            #expect(tally(first.json, "m365", "uploaded") == Self.people - Self.withPhoto.count, "\(first.output)")

            let (approved, rejected) = (SamplePeople.mail(0, domain: "example.com"), SamplePeople.mail(2, domain: "example.com"))
            #expect(try await work.cli.running(["approve", approved, "--config", "portrait.toml", "--by", "hr.anna"]).status == 0)
            #expect(try await work.cli.running(["reject", rejected, "--config", "portrait.toml", "--reason", "not a portrait"]).status == 0)
            let googleBefore = await sandbox.google.stats().uploads
            let decided = try await work.sync()
            #expect(decided.status == 0, "\(decided.output)")
            let published = syncChanges(decided.json).filter { $0["person"] as? String == approved }
            #expect(published.map { $0["action"] as? String } == ["publish"] && published.first?["to"] as? [String] == ["gws"], "\(decided.output)")
            #expect(await sandbox.google.stats().uploads == googleBefore + 1, "the approved photo, and nothing else, written")
            let queue = try await work.cli.running(["queue", "--config", "portrait.toml", "--json"])
            let waiting = try #require(try queue.json()["waiting"] as? [[String: Any]])
            #expect(waiting.count == Self.withPhoto.count - 2, "the undecided photos still wait: \(queue.stdout)")
            let again = try await work.sync()
            #expect(syncChanges(again.json).isEmpty, "\(again.output)")

            // A rejection undone: the photo waits again, and a second approval of it is refused until then.
            let twice = try await work.cli.running(["approve", rejected, "--config", "portrait.toml"])
            #expect(twice.status == 1 && twice.stderr.contains("portrait reopen"), "\(twice.stderr)")
            #expect(try await work.cli.running(["reopen", rejected, "--config", "portrait.toml", "--by", "hr.anna"]).status == 0)
            let reopened = try #require(try await work.cli.running(["queue", "--config", "portrait.toml", "--json"]).json()["waiting"] as? [[String: Any]])
            #expect(reopened.count == Self.withPhoto.count - 1)
            let nothing = try await work.cli.running(["reopen", SamplePeople.mail(1, domain: "example.com"), "--config", "portrait.toml"])
            #expect(nothing.status == 1 && nothing.stderr.contains("no approved or rejected photo a person decided on"), "\(nothing.stderr)")
        }
    }

    /// Someone whose own Entra photo was approved sets another: it waits, and Portrait's revert to
    /// the approved one — made in Entra too, so Entra then shows it as its own — keeps it waiting.
    @Test func aRevertWhereTheApprovedPhotoWasMadeKeepsTheNewOneWaiting() async throws {
        try await withSandbox({ $0.users = 4 }) { sandbox in
            let work = try Workspace()
            try work.syncSetup(sandbox: sandbox, people: 4, sync: """
                sources = ["m365", "hr"]
                targets = ["m365", "gws"]
                approval = ["m365"]
                unapproved = "revert"
                """)
            #expect(try await work.sync().status == 0)
            let mail = SamplePeople.mail(0, domain: "example.com")
            func actions(_ run: (status: Int32, json: [String: Any], output: String)) -> [String] {
                syncChanges(run.json).map { $0["action"] as? String ?? "" }.sorted()
            }
            await sandbox.graph.replacePhoto(ofUser: mail, with: try newPortrait(seed: 900))
            #expect(actions(try await work.sync()) == ["queue", "revert"])
            #expect(try await work.cli.running(["approve", mail, "--config", "portrait.toml"]).status == 0)
            #expect(actions(try await work.sync()) == ["publish"])
            await sandbox.graph.replacePhoto(ofUser: mail, with: try newPortrait(seed: 901))
            let again = try await work.sync()
            #expect(actions(again) == ["queue", "revert"], "\(again.output)")
            // Status shows what the revert wrote there, not the photo seen before it.
            let status = try await work.cli.running(["status", "--config", "portrait.toml", "--json"])
            let m365 = try #require((try status.json()["systems"] as? [[String: Any]])?.first { $0["name"] as? String == "m365" })
            #expect(m365["showing_other"] as? Int == 0 && m365["showing_approved"] as? Int == 4, "\(m365)")
            let after = try await work.sync()
            #expect(syncChanges(after.json).isEmpty, "\(after.output)")
            let waiting = try #require(try await work.cli.running(["queue", "--config", "portrait.toml", "--json"]).json()["waiting"] as? [[String: Any]])
            #expect(waiting.map { $0["person"] as? String } == [mail], "the new photo still waits")
        }
    }
}
