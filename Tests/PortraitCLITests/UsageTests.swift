import Foundation
import PortraitImaging
import Testing

/// What a new admin types, right and wrong: every mistake is exit 2 with a message, never a crash.
@Suite struct UsageTests {
    @Test func aTargetNamedTwiceIsExitTwo() throws {
        let work = try Workspace()
        try work.standard(people: 1)
        let result = try work.cli.run("push", "--config", "portrait.toml", "--from", "hr", "--to", "large,large", "--json")
        #expect(result.status == 2)
        #expect((try result.json()["error"] as? String) == "--to names large twice; name each target once")
        #expect(!result.stderr.contains("Fatal") && !result.stderr.contains("Stack dump"))
    }

    @Test func anUnusedSystemsMissingSecretDoesNotStopAPush() throws {
        let work = try Workspace()
        try work.standard(people: 1)
        let config = try String(contentsOf: work.path("portrait.toml"), encoding: .utf8)
        try work.write("portrait.toml", config + """

            [systems.m365]
            type = "graph"
            tenant = "contoso.test"
            client_id = "11111111-2222-4333-8444-555555555555"
            client_secret_env = "PORTRAIT_NOT_SET_ANYWHERE"
            """)
        #expect(try work.push().status == 0)
        // Using it is what needs it.
        let result = try work.cli.run("push", "--config", "portrait.toml", "--from", "hr", "--to", "m365")
        #expect(result.status == 2)
        #expect(result.stderr.contains("PORTRAIT_NOT_SET_ANYWHERE is not set"))
    }

    @Test func plainHTTPToANameThatMerelyStartsWith127IsRefused() throws {
        let work = try Workspace()
        try work.standard(people: 1)
        try work.write("portrait.toml", """
            [systems.m365]
            type = "graph"
            tenant = "contoso.test"
            client_id = "x"
            client_secret_env = "HOME"
            graph_url = "http://127.evil.example"
            """)
        let result = try work.cli.run("check", "--config", "portrait.toml", "--json")
        #expect(result.status == 2)
        let error = try #require((try result.json()["errors"] as? [[String: String]])?.first?["message"])
        #expect(error.contains("graph_url: must use https"))
    }

    @Test func aNearMissKeyGetsADidYouMean() throws {
        let work = try Workspace()
        try work.standard(people: 1)
        try work.write("portrait.toml", "[systems.hr]\ntype = \"folder\"\npath = \"photos\"\nsides = 96\ncrop = \"center\"\n")
        let result = try work.cli.run("check", "--config", "portrait.toml")
        #expect(result.status == 2)
        #expect(result.stderr.contains("systems.hr.sides: unknown key; did you mean `side`?"), "\(result.stderr)")
    }

    @Test func onlyLimitsARunAndItemsTellEachOutcome() throws {
        let work = try Workspace()
        try work.standard(people: 3)
        let result = try work.push("--only", "PERSON1@example.org", "--only", "person2@example.org")
        #expect(result.status == 0)
        let json = try result.json()
        #expect(json["people"] as? Int == 2)
        let items = try #require(json["items"] as? [[String: String]])
        #expect(Set(items.map { "\($0["person"]!) \($0["system"]!) \($0["action"]!)" }) == [
            "person1@example.org large uploaded", "person1@example.org small uploaded",
            "person2@example.org large uploaded", "person2@example.org small uploaded",
        ])
        #expect(!work.exists("out/648/person0@example.org.jpg"))
    }

    @Test func verboseSaysALinePerPersonOnStderr() throws {
        let work = try Workspace()
        try work.standard(people: 2)
        let result = try work.cli.run("push", "--config", "portrait.toml", "--from", "hr", "--to", "large", "-v")
        #expect(result.status == 0)
        #expect(result.stderr.contains("person0@example.org → large: uploaded"))
        #expect(result.stderr.contains("person1@example.org → large: uploaded"))
    }

    @Test func oneMeansOnePerson() throws {
        let work = try Workspace()
        try work.standard(people: 1)
        let result = try work.cli.run("push", "--config", "portrait.toml", "--from", "hr", "--to", "large")
        #expect(result.stdout.contains("Pushed from hr: 1 person in"))
        #expect(result.stdout.contains("Written to:"))
        #expect(result.stdout.contains("large: folder \(work.path("out/648").path) — 648×648 JPEG, centre crop"))
    }

    @Test func aSmallOriginalIsWrittenAtItsSizeWithAWarning() throws {
        let work = try Workspace()
        try work.standard(people: 1)
        let json = try work.push().json()
        let warnings = try #require(json["warnings"] as? [[String: String]])
        #expect(warnings.contains { $0["person"] == "person0@example.org" && $0["message"]!.contains("the photo is 300×400 px, smaller than the 648 px large wants: written at 300 px") })
    }

    @Test func aPhotoDamagedInTheMiddleFailsAndTheGoodRenditionStays() throws {
        let work = try Workspace()
        try work.standard(people: 1)
        try work.write("photos/IMG_0.jpg", try SamplePortrait.bitmap(seed: 5, width: 1200, height: 1600).encoded(as: .jpeg(quality: 90, orientation: nil)))
        #expect(try work.push().status == 0)
        let good = try work.read("out/648/person0@example.org.jpg")
        var damaged = [UInt8](try work.read("photos/IMG_0.jpg"))
        for index in (damaged.count / 2)..<(damaged.count / 2 + 8192) { damaged[index] = 0 }
        try work.write("photos/IMG_0.jpg", Data(damaged))
        let result = try work.push()
        #expect(result.status == 1)
        let errors = try #require(try result.json()["errors"] as? [[String: String]])
        #expect(errors.count == 1)
        #expect(errors.first?["message"]?.hasPrefix("not a readable image: \(work.path("photos/IMG_0.jpg").path) (Corrupt JPEG data") == true)
        #expect(try work.read("out/648/person0@example.org.jpg") == good)
    }

    @Test func aLargerLimitLetsAPhotographersBigFileThrough() throws {
        let work = try Workspace()
        try work.standard(people: 1)
        // 2 MB of PNG against a 1 MB limit, then a 3 MB one.
        let big = try SamplePortrait.bitmap(seed: 3, width: 1400, height: 1400).encoded(as: .png)
        #expect(big.count > 1_048_576 && big.count < 3 * 1_048_576)
        try work.write("photos/IMG_0.jpg", big)
        let config = try String(contentsOf: work.path("portrait.toml"), encoding: .utf8)
        try work.write("portrait.toml", "[images]\nmax_input_mb = 1\n\n" + config)
        let refused = try work.push()
        #expect(refused.status == 1)
        #expect((try refused.json()["errors"] as? [[String: String]])?.first?["message"]?.contains("raise max_input_mb in [images]") == true)
        try work.write("portrait.toml", "[images]\nmax_input_mb = 3\n\n" + config)
        #expect(try work.push().status == 0)
    }

    @Test func versionAndLog() throws {
        let work = try Workspace()
        try work.standard(people: 2)
        let version = try work.cli.run("--version")
        #expect(version.status == 0 && version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
        #expect(try work.push().status == 0)
        let log = try work.cli.run("log", "--config", "portrait.toml")
        #expect(log.status == 0)
        #expect(log.stdout.contains("Run 1: push from hr to large, small"))
        #expect(log.stdout.contains("uploaded   large  person0@example.org"))
        let json = try work.cli.run("log", "--config", "portrait.toml", "1", "--json").json()
        #expect((json["entries"] as? [Any])?.count == 4)
        #expect(try work.cli.run("log", "--config", "portrait.toml", "9").status == 2)
    }

    @Test func checkSaysConfigurationErrorsFromUnreachableSystems() throws {
        let work = try Workspace()
        try work.standard(people: 1)
        try work.write("blocker", "a file where a folder should be")
        let config = try String(contentsOf: work.path("portrait.toml"), encoding: .utf8)
        try work.write("portrait.toml", config + "\n[systems.gone]\ntype = \"folder\"\npath = \"blocker/out\"\n")
        let unreachable = try work.cli.run("check", "--config", "portrait.toml", "--json")
        #expect(unreachable.status == 3)
        var json = try unreachable.json()
        #expect(json["ok"] as? Bool == false)
        #expect((json["errors"] as? [[String: String]])?.first?["system"] == "gone")
        #expect(json["exit_code"] as? Int == 3)

        try work.write("portrait.toml", config + "\n[systems.bad]\ntype = \"folder\"\npath = \"x\"\nside = 3\n")
        let misconfigured = try work.cli.run("check", "--config", "portrait.toml", "--json")
        #expect(misconfigured.status == 2)
        json = try misconfigured.json()
        #expect(json["ok"] as? Bool == false)
        #expect((json["systems"] as? [String: [String: Any]])?["hr"]?["ok"] as? Bool == true)

        try work.write("portrait.toml", config)
        json = try work.cli.run("check", "--config", "portrait.toml", "--json").json()
        #expect(json["ok"] as? Bool == true)
        #expect(json["exit_code"] as? Int == 0)
    }

    @Test func samplesNeverOverwritesWithoutForce() throws {
        let work = try Workspace()
        #expect(try work.cli.run("samples", "delivery", "--count", "2").status == 0)
        let before = try work.read("delivery/IMG_0001.jpg")
        let again = try work.cli.run("samples", "delivery", "--count", "2")
        #expect(again.status == 2)
        #expect(again.stderr.contains("samples never overwrites files"))
        try work.write("delivery/IMG_0001.jpg", "mine")
        #expect(try work.cli.run("samples", "delivery", "--count", "2", "--force").status == 0)
        #expect(try work.read("delivery/IMG_0001.jpg") == before)
    }
}
