import Foundation
import PortraitCore
import PortraitImaging
import Testing

/// `portrait sync` on folders as an admin sets it up: a photographer's delivery (`hr`, read
/// only), a folder people change their own photo in (`self`, a source and a target) and a
/// 96 px ≤ 10 KB directory export (`small`).
@Suite struct SyncCLITests {
    func setUp(_ work: Workspace, people: Int = 3, sync: String) throws {
        let source = try work.photographer(people: people) { "person\($0)@example.org" }
        try work.write("portrait.toml", """
            \(source)

            [systems.self]
            type = "folder"
            path = "self"

            [systems.small]
            type = "folder"
            path = "small"
            side = 96
            max_bytes = 10240

            [sync]
            \(sync)
            """)
    }

    func sync(_ work: Workspace, _ extra: String...) throws -> (status: Int32, json: [String: Any], stdout: String) {
        let result = try work.cli.run(["sync", "--config", "portrait.toml", "--json"] + extra)
        return (result.status, try result.json(), result.stdout + result.stderr)
    }

    func changes(_ json: [String: Any]) -> [[String: Any]] { json["changes"] as? [[String: Any]] ?? [] }

    /// A different portrait where the person changes their own photo.
    func selfSet(_ work: Workspace, _ index: Int, seed: Int) throws {
        try work.write("self/person\(index)@example.org.jpg",
                       try SamplePortrait.bitmap(seed: seed, width: 600, height: 600).encoded(as: .jpeg(quality: 90, orientation: nil)))
    }

    @Test func publishesOncePerPersonThenNothing() throws {
        let work = try Workspace()
        try setUp(work, sync: "sources = [\"hr\"]\ntargets = [\"self\", \"small\"]")
        let first = try sync(work)
        #expect(first.status == 0, "\(first.stdout)")
        #expect(first.json["command"] as? String == "sync" && first.json["people"] as? Int == 3)
        #expect(tally(first.json, "self", "uploaded") == 3 && tally(first.json, "small", "uploaded") == 3)
        #expect(changes(first.json).allSatisfy { $0["action"] as? String == "publish" && $0["from"] as? String == "hr" })
        let small = try work.read("small/person1@example.org.jpg")
        #expect(small.count <= 10_240)
        #expect(try Bitmap(decoding: small).width == 96)

        let again = try sync(work)
        #expect(again.status == 0)
        #expect(changes(again.json).isEmpty, "\(again.stdout)")
        #expect(tally(again.json, "self", "uploaded") == 0 && tally(again.json, "small", "uploaded") == 0)
        #expect(tally(again.json, "small", "unchanged") == 3)
    }

    @Test func aPersonNamedOnTheCommandLineWhomNobodyHasIsAnError() throws {
        let work = try Workspace()
        try setUp(work, sync: "sources = [\"hr\"]\ntargets = [\"small\"]")
        let run = try sync(work, "--person", "person1@example.org", "--person", "nobody@example.org")
        #expect(run.status == 1, "\(run.stdout)")
        #expect(tally(run.json, "small", "uploaded") == 1, "the one who exists is synced")
        let errors = try #require(run.json["errors"] as? [[String: String]])
        #expect(errors.count == 1 && errors[0]["person"] == "nobody@example.org" && errors[0]["message"]?.contains("nobody in hr, small") == true, "\(errors)")
    }

    @Test func rankedRepairsASelfSetPhotoAndLatestPublishesIt() throws {
        let work = try Workspace()
        try setUp(work, sync: "sources = [\"hr\", \"self\"]\ntargets = [\"self\", \"small\"]")
        #expect(try sync(work).status == 0)
        let published = try work.read("small/person0@example.org.jpg")
        try selfSet(work, 0, seed: 40)

        let ranked = try sync(work)
        #expect(ranked.status == 0)
        let repair = try #require(changes(ranked.json).first)
        #expect(repair["action"] as? String == "repair" && repair["to"] as? [String] == ["self"], "\(ranked.stdout)")
        #expect(tally(ranked.json, "small", "uploaded") == 0)
        #expect(try work.read("small/person0@example.org.jpg") == published)

        // Now the newest change wins.
        let config = try String(contentsOf: work.path("portrait.toml"), encoding: .utf8)
        try work.write("portrait.toml", config + "\nprecedence = \"latest\"\n")
        try selfSet(work, 1, seed: 41)
        let latest = try sync(work)
        #expect(latest.status == 0, "\(latest.stdout)")
        let publish = try #require(changes(latest.json).first { $0["person"] as? String == "person1@example.org" })
        #expect(publish["action"] as? String == "publish" && publish["from"] as? String == "self", "\(latest.stdout)")
        #expect(publish["to"] as? [String] == ["small"])
        #expect(tally(latest.json, "self", "uploaded") == 0, "the new photo stays as it was made")
        #expect(try work.read("small/person1@example.org.jpg") != published)
        #expect(changes(try sync(work).json).isEmpty, "and then nothing changes")
    }

    @Test func approvalHoldsThenApproveAndRejectAreCarriedOut() throws {
        let work = try Workspace()
        try setUp(work, sync: "sources = [\"self\", \"hr\"]\ntargets = [\"self\", \"small\"]\napproval = [\"self\"]")
        #expect(try sync(work).status == 0)
        let before = try work.read("small/person0@example.org.jpg")
        try selfSet(work, 0, seed: 50)
        try selfSet(work, 1, seed: 51)

        let held = try sync(work)
        #expect(held.status == 0, "\(held.stdout)")
        #expect(held.json["queued"] as? Int == 2)
        #expect(changes(held.json).allSatisfy { $0["action"] as? String == "queue" })
        #expect(try work.read("small/person0@example.org.jpg") == before, "published nowhere")

        let queue = try work.cli.run(["queue", "--config", "portrait.toml", "--json"])
        let waiting = try #require(try queue.json()["waiting"] as? [[String: Any]])
        #expect(waiting.count == 2)
        #expect(waiting.first?["source"] as? String == "self")
        #expect((waiting.first?["reason"] as? String)?.contains("needs approval") == true)
        let photo = try #require(waiting.first?["photo"] as? String)
        #expect(FileManager.default.fileExists(atPath: photo))

        #expect(try work.cli.run(["approve", "person0@example.org", "--config", "portrait.toml", "--by", "hr.anna"]).status == 0)
        #expect(try work.cli.run(["reject", "person1@example.org", "--config", "portrait.toml", "--reason", "a cartoon, not a photo"]).status == 0)
        let nobody = try work.cli.run(["approve", "nobody@example.org", "--config", "portrait.toml"])
        #expect(nobody.status == 2 || nobody.status == 1)
        #expect(nobody.stderr.contains("nobody@example.org"))

        let carried = try sync(work)
        #expect(carried.status == 0, "\(carried.stdout)")
        #expect(try work.read("small/person0@example.org.jpg") != before, "approved: published")
        let revert = try #require(changes(carried.json).first { $0["person"] as? String == "person1@example.org" })
        #expect(revert["action"] as? String == "revert" && revert["to"] as? [String] == ["self"])
        #expect(try work.read("self/person1@example.org.jpg") == work.read("self/person2@example.org.jpg") ? false : true)

        let history = try work.cli.run(["history", "person1@example.org", "--config", "portrait.toml", "--json"])
        let entries = try #require(try history.json()["entries"] as? [[String: Any]])
        #expect(entries.map { $0["action"] as? String } .contains("rejected"))
        #expect(entries.contains { ($0["detail"] as? String)?.contains("a cartoon") == true })
        #expect(changes(try sync(work).json).isEmpty)
    }

    @Test func statusCountsWhatEachSystemShowsAndDrawsThoseWhoDisagree() throws {
        let work = try Workspace()
        try setUp(work, sync: "sources = [\"self\", \"hr\"]\ntargets = [\"self\", \"small\"]\napproval = [\"self\"]")
        #expect(try sync(work).status == 0)
        try selfSet(work, 0, seed: 60)
        #expect(try sync(work).json["queued"] as? Int == 1)

        let status = try work.cli.run(["status", "--config", "portrait.toml", "--html", "status.html", "--json"])
        #expect(status.status == 0, "\(status.stderr)")
        let json = try status.json()
        #expect(json["people_with_approved_photo"] as? Int == 3 && json["waiting"] as? Int == 1 && json["disagreeing"] as? Int == 1)
        let systems = try #require(json["systems"] as? [[String: Any]])
        let own = try #require(systems.first { $0["name"] as? String == "self" })
        #expect(own["people"] as? Int == 3 && own["showing_approved"] as? Int == 2 && own["showing_other"] as? Int == 1, "\(own)")

        let page = try String(contentsOf: work.path("status.html"), encoding: .utf8)
        #expect(page.hasPrefix("<!doctype html>"))
        #expect(page.contains("person0@example.org") && !page.contains("person1@example.org"), "only those who disagree")
        // The approved photo, the waiting one, what hr, self and small show: all inlined.
        #expect(page.components(separatedBy: "src=\"data:image/jpeg;base64,").count - 1 == 5)
        #expect(page.contains("waiting, from self: changed in self; self needs approval"))
        #expect(page.contains("self: another photo") && page.contains("small: the approved photo") && page.contains("hr: the approved photo"))
        #expect(!page.contains("http://") && !page.contains("https://") && !page.contains("<script"), "readable offline")

        let nowhere = try work.cli.run(["status", "--config", "portrait.toml", "--html", "no/such/folder/status.html"])
        #expect(nowhere.status == 2)
        #expect(nowhere.stderr.contains("no/such/folder/status.html") && nowhere.stderr.contains("does not exist"), "\(nowhere.stderr)")
        let folder = try work.cli.run(["status", "--config", "portrait.toml", "--html", "small"])
        #expect(folder.status == 2)
        #expect(folder.stderr.contains("is a folder: give a file name"), "\(folder.stderr)")
    }

    @Test func aReencodedCopyIsNotAChange() throws {
        let work = try Workspace()
        try setUp(work, sync: "sources = [\"hr\", \"self\"]\ntargets = [\"self\", \"small\"]\nprecedence = \"latest\"")
        #expect(try sync(work).status == 0)
        // Someone re-saves the published photo smaller and at another quality.
        let written = Photo(bytes: try work.read("self/person0@example.org.jpg"), version: nil, origin: "self")
        let copy = try ImagePipeline().render(written, profiles: [RenditionProfile(side: 240, maxBytes: 7000)]).renditions[0]
        #expect(copy.quality < 90)
        try work.write("self/person0@example.org.jpg", copy.bytes)
        let again = try sync(work)
        #expect(again.status == 0)
        #expect(changes(again.json).isEmpty, "\(again.stdout)")
    }

    @Test func aBrokenSourcePhotoFailsThatPersonAlone() throws {
        let work = try Workspace()
        try setUp(work, sync: "sources = [\"hr\"]\ntargets = [\"small\"]")
        #expect(try sync(work).status == 0)
        let kept = try work.read("small/person1@example.org.jpg")
        try work.write("photos/IMG_1.jpg", Data("not a jpeg".utf8))
        try work.portrait("photos/IMG_2.jpg", seed: 77)
        let run = try sync(work)
        #expect(run.status == 1)
        let errors = try #require(run.json["errors"] as? [[String: String]])
        #expect(errors.count == 1 && errors.first?["person"] == "person1@example.org", "\(run.stdout)")
        #expect(tally(run.json, "small", "uploaded") == 1, "person2's new photo is published")
        #expect(try work.read("small/person1@example.org.jpg") == kept)
    }

    @Test func anUnreadableFileWhereThePhotoIsKeptGetsTheApprovedPhotoBack() throws {
        let work = try Workspace()
        try setUp(work, sync: "sources = [\"hr\", \"self\"]\ntargets = [\"self\", \"small\"]")
        #expect(try sync(work).status == 0)
        let published = try work.read("self/person0@example.org.jpg")
        try work.write("self/person0@example.org.jpg", Data("garbage".utf8))
        let run = try sync(work)
        #expect(run.status == 1, "\(run.stdout)")
        let errors = try #require(run.json["errors"] as? [[String: String]])
        #expect(errors.count == 1 && errors[0]["person"] == "person0@example.org" && errors[0]["system"] == "self", "\(errors)")
        #expect(changes(run.json).map { $0["action"] as? String } == ["repair"], "\(run.stdout)")
        #expect(try Bitmap(decoding: try work.read("self/person0@example.org.jpg")).width == (try Bitmap(decoding: published)).width)
        let again = try sync(work)
        #expect(again.status == 0 && changes(again.json).isEmpty, "\(again.stdout)")
    }

    @Test func anUnreachableTargetIsLeftAsItIsAndTheOthersAreWritten() throws {
        let work = try Workspace()
        try setUp(work, sync: "sources = [\"hr\"]\ntargets = [\"small\", \"m365\"]")
        // A Graph tenant on a port where nothing listens.
        let config = try String(contentsOf: work.path("portrait.toml"), encoding: .utf8)
        try work.write("portrait.toml", config.replacingOccurrences(of: "[sync]", with: """
            [systems.m365]
            type = "graph"
            tenant = "contoso.test"
            client_id = "11111111-2222-4333-8444-555555555555"
            client_secret_env = "\(Workspace.secretVariable)"
            graph_url = "http://127.0.0.1:9"
            login_url = "http://127.0.0.1:9"

            [sync]
            """))
        let result = try work.cli.run(["sync", "--config", "portrait.toml", "--json"], environment: [Workspace.secretVariable: "sandbox-secret"])
        #expect(result.status == 3, "\(result.stdout)\(result.stderr)")
        let json = try result.json()
        #expect((json["unreachable"] as? [String: String])?["m365"] != nil, "\(result.stdout)")
        #expect(tally(json, "small", "uploaded") == 3)
        let status = try work.cli.run(["status", "--config", "portrait.toml", "--json"])
        #expect(try status.json()["people_with_approved_photo"] as? Int == 3, "the approved photos are kept")
    }

    @Test func propagateRemovesAPhotoRemovedAtItsSource() throws {
        let work = try Workspace()
        try setUp(work, people: 2, sync: "sources = [\"hr\"]\ntargets = [\"self\", \"small\"]\ndelete = \"propagate\"")
        #expect(try sync(work).status == 0)
        try work.write("photos/map.csv", "path,mail\nIMG_0.jpg,person0@example.org\n")
        try FileManager.default.removeItem(at: work.path("photos/IMG_1.jpg"))
        let run = try sync(work)
        #expect(run.status == 0, "\(run.stdout)")
        #expect(!work.exists("small/person1@example.org.jpg") && !work.exists("self/person1@example.org.jpg"))
        #expect(work.exists("small/person0@example.org.jpg"))
    }

    @Test func policyMistakesNameTheLine() throws {
        let work = try Workspace()
        for (sync, said) in [
            ("sources = [\"hr\"]\ntargets = [\"smal\"]", "\"smal\" is not a system"),
            ("sources = [\"hr\", \"hr\"]\ntargets = [\"small\"]", "names \"hr\" twice"),
            ("sources = [\"hr\"]\ntargets = [\"small\"]\nprecedance = \"latest\"", "did you mean `precedence`"),
            ("sources = [\"hr\"]\ntargets = [\"small\"]\napproval = [\"small\"]", "not one of the sources"),
        ] {
            try setUp(work, sync: sync)
            let result = try work.cli.run(["sync", "--config", "portrait.toml"])
            #expect(result.status == 2)
            #expect(result.stderr.contains(said) && result.stderr.contains("portrait.toml:"), "\(result.stderr)")
        }
    }
}
