import Foundation
import PortraitImaging
import Testing

/// `portrait push` from a photographer's folder to folder targets, as an admin runs it.
@Suite struct PushCLITests {
    @Test func pushesRendersForEveryTarget() throws {
        let work = try Workspace()
        try work.standard(people: 4)
        let result = try work.push()
        #expect(result.status == 0, "\(result.stderr)")
        let json = try result.json()
        #expect(json["command"] as? String == "push")
        #expect(json["source"] as? String == "hr")
        #expect(json["dry_run"] as? Bool == false)
        #expect(tally(json, "large", "uploaded") == 4)
        #expect(tally(json, "small", "uploaded") == 4)
        #expect((json["errors"] as? [Any])?.isEmpty == true)

        let large = try Bitmap(decoding: work.read("out/648/person0@example.org.jpg"))
        // 300×400 originals are not enlarged: the square is their short side.
        #expect(large.width == 300 && large.height == 300)
        let small = try work.read("out/96/person0@example.org.jpg")
        #expect(small.count <= 10_240)
        let decoded = try Bitmap(decoding: small)
        #expect(decoded.width == 96 && decoded.height == 96)
        #expect(work.exists("portrait.db"))
    }

    @Test func aDeliveryMappedByItsCSVIsNeverWrittenInto() throws {
        let work = try Workspace()
        try work.standard(people: 2)
        #expect(try work.push().status == 0)
        let original = try work.read("photos/IMG_0.jpg")
        // --from and --to swapped: the photographer's folder as a target.
        let result = try work.cli.run(["push", "--config", "portrait.toml", "--from", "large", "--to", "hr", "--json"])
        #expect(result.status == 2, "\(result.stdout)")
        #expect(try #require(try result.json()["error"] as? String).contains("hr can only be read from, not written to"))
        #expect(try work.read("photos/IMG_0.jpg") == original)
    }

    @Test func secondRunChangesNothing() throws {
        let work = try Workspace()
        try work.standard(people: 3)
        #expect(try work.push().status == 0)
        let before = try FileManager.default.attributesOfItem(atPath: work.path("out/648/person1@example.org.jpg").path)[.modificationDate] as? Date
        let again = try work.push()
        #expect(again.status == 0)
        let json = try again.json()
        #expect(tally(json, "large", "unchanged") == 3)
        #expect(tally(json, "small", "unchanged") == 3)
        #expect(tally(json, "large", "uploaded") == 0)
        let after = try FileManager.default.attributesOfItem(atPath: work.path("out/648/person1@example.org.jpg").path)[.modificationDate] as? Date
        #expect(before == after)

        // --force writes everything again.
        let forced = try work.push("--force").json()
        #expect(tally(forced, "large", "uploaded") == 3)
    }

    @Test func onlyChangedPhotosAreWrittenAgain() throws {
        let work = try Workspace()
        try work.standard(people: 3)
        #expect(try work.push().status == 0)
        // A new photo for person0; the same bytes rewritten (a new mtime) for person1.
        try work.portrait("photos/IMG_0.jpg", seed: 99)
        let same = try work.read("photos/IMG_1.jpg")
        Thread.sleep(forTimeInterval: 0.01)
        try work.write("photos/IMG_1.jpg", same)
        let json = try work.push().json()
        #expect(tally(json, "large", "uploaded") == 1)
        #expect(tally(json, "large", "unchanged") == 2)
    }

    @Test func dryRunWritesNothing() throws {
        let work = try Workspace()
        try work.standard(people: 2)
        let result = try work.push("--dry-run")
        #expect(result.status == 0)
        let json = try result.json()
        #expect(json["dry_run"] as? Bool == true)
        #expect(tally(json, "large", "uploaded") == 2)
        #expect(!work.exists("out"))
        #expect(!work.exists("portrait.db"))
    }

    @Test func badItemsFailAloneAndTheRestIsDone() throws {
        let work = try Workspace()
        try work.standard(people: 2)
        try work.write("photos/broken.jpg", Data("not a jpeg".utf8))
        try work.write("photos/map.csv", """
            path,mail
            IMG_0.jpg,person0@example.org
            IMG_1.jpg,person1@example.org
            broken.jpg,broken@example.org
            nowhere.jpg,ghost@example.org
            IMG_0.jpg,twice@example.org
            IMG_1.jpg,twice@example.org

            """)
        try work.write("photos/unmapped.jpg", Data("x".utf8))
        let result = try work.push()
        #expect(result.status == 1)
        let json = try result.json()
        #expect(tally(json, "large", "uploaded") == 2)
        let errors = try #require(json["errors"] as? [[String: String]])
        func error(_ person: String) -> String? { errors.first { $0["person"] == person }?["message"] }
        #expect(error("broken@example.org")?.contains("not a readable image") == true)
        #expect(error("broken@example.org")?.contains("broken.jpg") == true)
        #expect(error("ghost@example.org")?.contains("nowhere.jpg") == true)
        #expect(error("twice@example.org")?.contains("more than one line") == true)
        // The broken photo fails in each target but is reported once, against hr, like the CSV problems.
        #expect(errors.filter { $0["person"] == "broken@example.org" }.map { $0["system"] ?? "" } == ["hr"])
        #expect(tally(json, "small", "failed") == 3)
        #expect(errors.first { $0["person"] == "ghost@example.org" }?["system"] == "hr")
        let warnings = try #require(json["warnings"] as? [[String: String]])
        #expect(warnings.contains { $0["person"] == "unmapped.jpg" })
        #expect(work.exists("out/648/person0@example.org.jpg"))
        #expect(!work.exists("out/648/broken@example.org.jpg"))
    }

    @Test func aBrokenNewPhotoDoesNotReplaceTheGoodOne() throws {
        let work = try Workspace()
        try work.standard(people: 1)
        #expect(try work.push().status == 0)
        let good = try work.read("out/648/person0@example.org.jpg")
        let original = try work.read("photos/IMG_0.jpg")
        try work.write("photos/IMG_0.jpg", original.prefix(original.count / 3))
        let result = try work.push()
        #expect(result.status == 1)
        #expect(try work.read("out/648/person0@example.org.jpg") == good)
    }

    @Test func aPhotoChangedInTheTargetIsReplacedAndAudited() throws {
        let work = try Workspace()
        try work.standard(people: 2)
        #expect(try work.push().status == 0)
        let ours = try work.read("out/648/person0@example.org.jpg")
        try work.write("out/648/person0@example.org.jpg", try SamplePortrait.bitmap(seed: 50, width: 100, height: 100).encoded(as: .jpeg(quality: 80, orientation: nil)))
        let json = try work.push().json()
        #expect(tally(json, "large", "uploaded") == 1)
        #expect(tally(json, "large", "unchanged") == 1)
        let replaced = try #require(json["replaced"] as? [[String: String]])
        #expect(replaced.first?["person"] == "person0@example.org")
        #expect(try work.read("out/648/person0@example.org.jpg") == ours)
    }

    @Test func aDeletedTargetPhotoIsRestored() throws {
        let work = try Workspace()
        try work.standard(people: 1)
        #expect(try work.push().status == 0)
        try FileManager.default.removeItem(at: work.path("out/96/person0@example.org.jpg"))
        let json = try work.push().json()
        #expect(tally(json, "small", "uploaded") == 1)
        #expect(tally(json, "large", "unchanged") == 1)
        #expect(work.exists("out/96/person0@example.org.jpg"))
    }

    @Test func humanReportOnStdout() throws {
        let work = try Workspace()
        try work.standard(people: 2)
        let result = try work.cli.run("push", "--config", "portrait.toml", "--from", "hr", "--to", "large")
        #expect(result.status == 0)
        #expect(result.stdout.contains("Pushed from hr: 2 people"))
        #expect(result.stdout.contains("large"))
        #expect(!result.stdout.contains("{"))
    }
}

/// Exit codes and messages when the command cannot run.
@Suite struct ExitCodeTests {
    @Test func configurationErrorIsTwoAndNamesTheLine() throws {
        let work = try Workspace()
        try work.standard(people: 1)
        try work.write("portrait.toml", "[systems.hr]\ntype = \"folder\"\npath = \"photos\"\ncsv = \"photos/map.csv\"\n\n[systems.large]\ntype = \"folder\"\npath = \"out\"\nsize = 96\n")
        let result = try work.push()
        #expect(result.status == 2)
        let json = try result.json()
        #expect(json["exit_code"] as? Int == 2)
        #expect((json["error"] as? String)?.contains("portrait.toml:9: systems.large.size: unknown key") == true)
        #expect(result.stderr.contains("portrait.toml:9"))
    }

    @Test func unknownSystemIsTwo() throws {
        let work = try Workspace()
        try work.standard(people: 1)
        let result = try work.cli.run("push", "--config", "portrait.toml", "--from", "hr", "--to", "nowhere")
        #expect(result.status == 2)
        #expect(result.stderr.contains("no system is named \"nowhere\""))
    }

    @Test func usageErrorIsTwo() throws {
        let work = try Workspace()
        let result = try work.cli.run("push", "--config", "portrait.toml")
        #expect(result.status == 2)
        #expect(result.stderr.contains("--from"))
    }

    @Test func missingConfigIsTwo() throws {
        let work = try Workspace()
        let result = try work.cli.run("push", "--config", "absent.toml", "--from", "a", "--to", "b")
        #expect(result.status == 2)
        #expect(result.stderr.contains("absent.toml"))
    }

    @Test func unreachableTargetIsThree() throws {
        let work = try Workspace()
        try work.standard(people: 1)
        try work.write("blocker", "a file where a folder should be")
        try work.write("portrait.toml", "[systems.hr]\ntype = \"folder\"\npath = \"photos\"\ncsv = \"photos/map.csv\"\n\n[systems.large]\ntype = \"folder\"\npath = \"blocker/out\"\n")
        let result = try work.cli.run("push", "--config", "portrait.toml", "--from", "hr", "--to", "large", "--json")
        #expect(result.status == 3)
        #expect((try result.json()["error"] as? String)?.contains("blocker/out") == true)
    }

    @Test func badCSVHeaderIsTwo() throws {
        let work = try Workspace()
        try work.standard(people: 1)
        try work.write("photos/map.csv", "file;email\nIMG_0.jpg;a@b.c\n")
        let result = try work.push()
        #expect(result.status == 2)
        #expect((try result.json()["error"] as? String)?.contains("must name the columns: path, and mail, upn, employeeId or sAMAccountName") == true)
    }

    @Test func checkReportsEachSystem() throws {
        let work = try Workspace()
        try work.standard(people: 2)
        try work.write("photos/stray.jpg", "x")
        let result = try work.cli.run("check", "--config", "portrait.toml", "--json")
        #expect(result.status == 0, "\(result.stdout) \(result.stderr)")
        let systems = try #require(try result.json()["systems"] as? [String: [String: Any]])
        #expect(systems["hr"]?["people"] as? Int == 2)
        #expect((systems["hr"]?["warnings"] as? [Any])?.count == 1)
        #expect(systems["large"]?["ok"] as? Bool == true)
    }

    @Test func helpIsZero() throws {
        let result = try CLI(directory: FileManager.default.temporaryDirectory).run("--help")
        #expect(result.status == 0)
        #expect(result.stdout.contains("push"))
    }
}
