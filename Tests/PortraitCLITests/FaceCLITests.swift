import Foundation
import PortraitCore
import PortraitImaging
import TestPhotographs
import Testing

/// Face crops and photo guidelines as an admin meets them: `push`, `push --strict`,
/// `check-photos` and `sync`, on real photographs (scripts/real-photos.sh).
@Suite struct FaceCLITests {
    /// Biden's portrait is tall, his face in its top quarter: a centre crop loses it. Obama's is
    /// a plain head and shoulders. The coffee cup has no face.
    static let delivery = [("fr-biden.jpg", "biden@example.org"), ("fr-obama.jpg", "obama@example.org"), ("sk-coffee.png", "coffee@example.org")]

    func setUp(_ work: Workspace, extra: String = "") throws {
        var csv = "path,mail\n"
        for (name, mail) in Self.delivery {
            try work.write("photos/\(name)", try RealPhotos.photo(name).bytes)
            csv += "\(name),\(mail)\n"
        }
        try work.write("photos/map.csv", csv)
        try work.write("portrait.toml", """
            \(extra)
            [systems.hr]
            type = "folder"
            path = "photos"
            csv = "photos/map.csv"

            [systems.badge]
            type = "folder"
            path = "badge"
            side = 256
            crop = "face"

            [systems.plain]
            type = "folder"
            path = "plain"
            side = 256
            """)
    }

    func faces(in data: Data) throws -> Int {
        try ImagePipeline().measures(of: Photo(bytes: data, version: nil, origin: "rendition")).faces.count
    }

    @Test func pushCropsAroundTheFaceAndSaysWhereThereIsNone() throws {
        let work = try Workspace()
        try setUp(work)
        let push = try work.cli.run(["push", "--config", "portrait.toml", "--from", "hr", "--to", "badge,plain", "--json"])
        #expect(push.status == 0, "\(push.stdout)\(push.stderr)")
        let json = try push.json()
        #expect(json["no_face"] as? [String] == ["coffee@example.org"])
        #expect(try faces(in: work.read("badge/biden@example.org.jpg")) == 1, "the face crop keeps his face")
        #expect(try faces(in: work.read("plain/biden@example.org.jpg")) == 0, "the centre crop of his tall portrait loses it")
        #expect(try faces(in: work.read("badge/obama@example.org.jpg")) == 1)
        #expect(try Bitmap(decoding: work.read("badge/coffee@example.org.jpg")).width == 256)

        let text = try work.cli.run(["push", "--config", "portrait.toml", "--from", "hr", "--to", "badge", "--force"])
        #expect(text.stdout.contains("No face found in 1 photo, cut at the centre instead: coffee@example.org"), "\(text.stdout)")
    }

    @Test func guidelinesWarnAndStrictRefuses() throws {
        let work = try Workspace()
        try setUp(work, extra: "[guidelines]\nfaces = 1\n")
        let warned = try work.cli.run(["push", "--config", "portrait.toml", "--from", "hr", "--to", "badge", "--json"])
        #expect(warned.status == 0, "\(warned.stdout)")
        let warnings = try #require(try warned.json()["warnings"] as? [[String: String]])
        #expect(warnings.map { $0["person"] } == ["coffee@example.org"] && warnings[0]["message"] == "against the photo guidelines: no face found", "\(warnings)")
        #expect(work.exists("badge/coffee@example.org.jpg"))

        let strict = try Workspace()
        try setUp(strict, extra: "[guidelines]\nfaces = 1\n")
        let refused = try strict.cli.run(["push", "--config", "portrait.toml", "--from", "hr", "--to", "badge", "--strict", "--json"])
        #expect(refused.status == 1, "\(refused.stdout)")
        let errors = try #require(try refused.json()["errors"] as? [[String: String]])
        #expect(errors.count == 1 && errors[0]["person"] == "coffee@example.org" && errors[0]["message"]?.contains("no face found") == true, "\(errors)")
        #expect(!strict.exists("badge/coffee@example.org.jpg"))
        #expect(strict.exists("badge/biden@example.org.jpg") && strict.exists("badge/obama@example.org.jpg"))

        let without = try Workspace()
        try setUp(without)
        let usage = try without.cli.run(["push", "--config", "portrait.toml", "--from", "hr", "--to", "badge", "--strict"])
        #expect(usage.status == 2 && usage.stderr.contains("[guidelines]"), "\(usage.stderr)")
    }

    @Test func checkPhotosGivesEveryPhotosVerdict() throws {
        let work = try Workspace()
        try setUp(work)
        try work.write("photos/broken.jpg", Data(try RealPhotos.photo("fr-obama.jpg").bytes.prefix(5000)))
        let folder = try work.cli.run(["check-photos", work.path("photos").path, "--json"])
        #expect(folder.status == 1, "\(folder.stdout)\(folder.stderr)")
        let json = try folder.json()
        #expect(json["command"] as? String == "check-photos")
        let photos = try #require(json["photos"] as? [[String: Any]])
        let byFile = Dictionary(uniqueKeysWithValues: photos.map { ($0["file"] as? String ?? "", $0) })
        #expect(Set(byFile.keys) == ["fr-biden.jpg", "fr-obama.jpg", "sk-coffee.png", "broken.jpg"])
        #expect(byFile["fr-biden.jpg"]?["ok"] as? Bool == true && byFile["fr-biden.jpg"]?["faces"] as? Int == 1)
        #expect((byFile["fr-biden.jpg"]?["face_share"] as? Double ?? 0) > 0.2 && byFile["fr-biden.jpg"]?["width"] as? Int == 970)
        #expect(byFile["sk-coffee.png"]?["reasons"] as? [String] == ["no face found"])
        #expect(byFile["broken.jpg"]?["ok"] as? Bool == false
            && (byFile["broken.jpg"]?["reasons"] as? [String])?.first?.contains("not a readable image") == true, "\(byFile["broken.jpg"] ?? [:])")
        #expect(byFile["broken.jpg"]?["faces"] == nil)

        // The organisation's own guidelines, and everyone a system lists.
        try work.write("rules.toml", "[guidelines]\nmin_side = 1000\n" + String(decoding: try work.read("portrait.toml"), as: UTF8.self))
        let system = try work.cli.run(["check-photos", "--from", "hr", "--config", "rules.toml", "--json"])
        #expect(system.status == 1)
        let people = try #require(try system.json()["photos"] as? [[String: Any]])
        let byPerson = Dictionary(uniqueKeysWithValues: people.map { ($0["person"] as? String ?? "", $0["reasons"] as? [String] ?? []) })
        #expect(byPerson["biden@example.org"] == ["too small (970×2204 px, at least 1000 px on the short side)"], "\(byPerson)")
        #expect(byPerson["obama@example.org"] == ["too small (910×1137 px, at least 1000 px on the short side)"])

        let text = try work.cli.run(["check-photos", work.path("photos").path])
        #expect(text.stdout.contains("Checked 4 photos: 2 pass, 2 fall short") && text.stdout.contains("sk-coffee.png: no face found"), "\(text.stdout)")
        let nothing = try work.cli.run(["check-photos", work.path("missing").path])
        #expect(nothing.status == 2 && nothing.stderr.contains("is not a folder"), "\(nothing.stderr)")
    }

    @Test func syncSendsANewPhotoThatFallsShortToTheQueue() throws {
        let work = try Workspace()
        try setUp(work, extra: "[guidelines]\nfaces = 1\n")
        var config = String(decoding: try work.read("portrait.toml"), as: UTF8.self)
        config += "\n[sync]\nsources = [\"hr\"]\ntargets = [\"badge\"]\n"
        try work.write("portrait.toml", config)
        let first = try work.cli.run(["sync", "--config", "portrait.toml", "--json"])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let changes = try #require(try first.json()["changes"] as? [[String: Any]])
        let queued = changes.filter { $0["action"] as? String == "queue" }
        #expect(queued.count == 1 && queued[0]["person"] as? String == "coffee@example.org"
            && queued[0]["reason"] as? String == "against the photo guidelines: no face found", "\(changes)")
        #expect(work.exists("badge/biden@example.org.jpg") && !work.exists("badge/coffee@example.org.jpg"))

        #expect(try work.cli.run(["approve", "coffee@example.org", "--config", "portrait.toml", "--by", "hr@example.org"]).status == 0)
        let second = try work.cli.run(["sync", "--config", "portrait.toml", "--json"])
        #expect(second.status == 0)
        #expect(work.exists("badge/coffee@example.org.jpg"), "approved by a person, it is published")
    }
}
