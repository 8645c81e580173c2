import Foundation
import PortraitCore
import PortraitImaging
import Sandbox
import TestPhotographs
import Testing

/// Many people, many syncs, random changes in every system between them — new photos from HR,
/// self-set photos in Entra that wait and are approved or rejected, echoes, drift and deletions
/// in Google and Entra, a sync killed midway — against services that keep copies their own way.
/// A model of what each person's approved photo must be says how many photos each sync must
/// write: the writes equal the changes, exactly, and afterwards every target shows each person's
/// approved photo. Fixed seeds: a failure names its round and can be run again.
@Suite struct ManySyncsTests {
    static let people = 1_000
    static let rounds = 10
    static let mailDomain = "example.com"

    /// A photo the model knows by where it came from; `bytes` are what that system was given.
    struct Known {
        var bytes: Data
        var fingerprint: Fingerprint
        /// Where it was made: "hr" or "m365".
        var origin: String
    }

    /// What the test expects of each person.
    struct Person {
        var approved: Known
        var waiting: Known?
    }

    let pipeline = ImagePipeline()

    // Drawing and decoding run on Dispatch's threads: this test's sandbox, and other suites',
    // answer on Swift concurrency's few threads.

    func known(_ bytes: Data, from origin: String) async throws -> Known {
        let fingerprint = try await blocking { [pipeline] in try pipeline.master(of: Photo(bytes: bytes, version: nil, origin: "model")).fingerprint }
        return Known(bytes: bytes, fingerprint: fingerprint, origin: origin)
    }

    /// JPEG kinds (the convergence matrix has the PNGs): HR's files keep one name.
    static let kinds = PhotoKind.allCases.filter { $0 != .pngWithAlpha }

    /// A photo no one has seen, 320 px (over `min_side`).
    func newPhoto(seed: Int) async throws -> Data {
        try await blocking { try Self.kinds[seed % Self.kinds.count].photo(seed: seed, width: 320, height: 320) }
    }

    func mail(_ index: Int) -> String { SamplePeople.mail(index, domain: Self.mailDomain) }

    /// Whether `shown` (bytes a service serves) is `expected`, as the test sees it; `readings`
    /// keeps each served copy's fingerprints, since most accounts serve the same bytes round after round.
    func shows(_ shown: Data?, _ expected: Known, readings: inout [Data: [Fingerprint]]) async throws -> Bool {
        guard let shown else { return false }
        if readings[shown] == nil {
            readings[shown] = try await blocking { [pipeline] in try pipeline.fingerprints(of: Photo(bytes: shown, version: nil, origin: "shown")) }
        }
        return readings[shown]!.contains { $0.isCopy(of: expected.fingerprint) }
    }

    @Test func writesEqualTheChangesAndEveryTargetShowsTheApprovedPhoto() async throws {
        try await withSandbox({
            $0.users = Self.people
            $0.graphCopies = .random
            $0.googleCopies = .random
            $0.copiesMoveVersion = true
            $0.seed = 22
        }) { sandbox in
            let work = try Workspace()
            try work.syncSetup(sandbox: sandbox, people: 0, sync: """
                sources = ["m365", "hr"]
                targets = ["m365", "gws"]
                approval = ["m365"]
                unapproved = "revert"
                """)
            // HR's delivery: every person, photos of every kind.
            var csv = "path,mail\n"
            var model: [Person] = []
            for index in 0..<Self.people {
                let bytes = try await newPhoto(seed: index)
                try work.write("photos/IMG_\(index).jpg", bytes)
                csv += "IMG_\(index).jpg,\(mail(index))\n"
                model.append(Person(approved: try await known(bytes, from: "hr")))
            }
            try work.write("photos/map.csv", csv)

            var random = SeededRandom(seed: 2026)
            var nextSeed = 100_000
            var expected = (graph: Self.people, google: Self.people)
            var readings: [Data: [Fingerprint]] = [:]
            for round in 0...Self.rounds {
                if round > 0 {
                    expected = (0, 0)
                    // Disjoint people for each change, drawn afresh each round.
                    var free = Array(0..<Self.people)
                    func draw(_ count: Int, where include: (Int) -> Bool = { _ in true }) -> [Int] {
                        var chosen: [Int] = []
                        for _ in 0..<count * 4 where chosen.count < count && !free.isEmpty {
                            let at = Int(random.next() % UInt64(free.count))
                            if include(free[at]) { chosen.append(free.remove(at: at)) }
                        }
                        return chosen
                    }
                    let waiting = model.indices.filter { model[$0].waiting != nil }
                    let approving = draw(waiting.count / 2 + 1) { model[$0].waiting != nil }
                    let rejecting = draw(waiting.count / 2) { model[$0].waiting != nil }
                    if !approving.isEmpty {
                        let result = try await work.cli.running(["approve"] + approving.map(mail) + ["--config", "portrait.toml", "--by", "hr.anna"])
                        #expect(result.status == 0, "round \(round): \(result.stderr)")
                    }
                    if !rejecting.isEmpty {
                        let result = try await work.cli.running(["reject"] + rejecting.map(mail) + ["--config", "portrait.toml", "--reason", "not a portrait"])
                        #expect(result.status == 0, "round \(round): \(result.stderr)")
                    }
                    for index in approving {
                        // Published everywhere: Entra shows Portrait's revert, so it is written there too.
                        model[index].approved = model[index].waiting!
                        model[index].waiting = nil
                        expected.graph += 1
                        expected.google += 1
                    }
                    for index in rejecting { model[index].waiting = nil }

                    for index in draw(Self.people * 3 / 100) {
                        // HR delivers a new photo: published everywhere — unless the approved photo
                        // was made in Entra, which ranks first and still shows it.
                        let bytes = try await newPhoto(seed: nextSeed)
                        nextSeed += 1
                        try work.write("photos/IMG_\(index).jpg", bytes)
                        guard model[index].approved.origin == "hr" else { continue }
                        model[index].approved = try await known(bytes, from: "hr")
                        expected.graph += 1
                        expected.google += 1
                    }
                    for index in draw(Self.people * 2 / 100, where: { model[$0].waiting == nil }) {
                        // Someone sets their own photo in Entra: it waits, and Entra gets the approved one back.
                        let bytes = try await newPhoto(seed: nextSeed)
                        nextSeed += 1
                        await sandbox.graph.replacePhoto(ofUser: mail(index), with: bytes)
                        model[index].waiting = try await known(bytes, from: "m365")
                        expected.graph += 1
                    }
                    for index in draw(Self.people / 100, where: { model[$0].waiting == nil }) {
                        // An echo: the approved photo put back into Entra smaller and recompressed — no change.
                        let echo = try Bitmap(decoding: model[index].approved.bytes).scaled(toWidth: 300, height: 300)
                            .encoded(as: .jpeg(quality: 70, orientation: nil))
                        await sandbox.graph.replacePhoto(ofUser: mail(index), with: echo)
                    }
                    for index in draw(Self.people / 100) {
                        // Drift in Google: another admin's photo, repaired.
                        await sandbox.google.replacePhoto(ofUser: mail(index), with: try await newPhoto(seed: nextSeed))
                        nextSeed += 1
                        expected.google += 1
                    }
                    for index in draw(Self.people / 100) {
                        await sandbox.google.deletePhoto(ofUser: mail(index))
                        expected.google += 1
                    }
                    for index in draw(Self.people / 200, where: { model[$0].waiting == nil && model[$0].approved.origin == "hr" }) {
                        // Deleted in Entra: HR's approved photo is put back.
                        await sandbox.graph.deletePhoto(ofUser: mail(index))
                        expected.graph += 1
                    }
                }
                let before = (await sandbox.graph.stats(), await sandbox.google.stats())
                let started = ContinuousClock.now
                if round % 4 == 2 {
                    // Killed once some of this round's writes are out; the next run carries the rest.
                    let killed = try work.start(["sync", "--config", "portrait.toml", "--json"])
                    while await sandbox.graph.stats().uploads + sandbox.google.stats().uploads < before.0.uploads + before.1.uploads + 4, killed.isRunning {
                        try await Task.sleep(for: .milliseconds(5))
                    }
                    kill(killed.pid, SIGKILL)
                    _ = try await killed.finish(within: .seconds(600))
                    // Requests the killed run had sent are still being answered: let them land.
                    while await sandbox.graph.stats().inFlight + sandbox.google.stats().inFlight > 0 { try await Task.sleep(for: .milliseconds(10)) }
                }
                let run = try await work.sync()
                #expect(run.status == 0, "round \(round): \(run.output.prefix(2_000))")
                let after = (await sandbox.graph.stats(), await sandbox.google.stats())
                let written = (graph: after.0.uploads - before.0.uploads, google: after.1.uploads - before.1.uploads)
                let downloads = (graph: after.0.downloads - before.0.downloads, google: after.1.downloads - before.1.downloads)
                print("round \(round), syncs took \(ContinuousClock.now - started): written to Entra \(written.graph) (changes \(expected.graph)), Google \(written.google) (changes \(expected.google)); downloaded from Entra \(downloads.graph), Google \(downloads.google)")
                #expect(written.graph == expected.graph && written.google == expected.google,
                        "round \(round): wrote Entra \(written.graph), Google \(written.google); the changes were \(expected)")

                var wrong: [String] = []
                for index in 0..<Self.people {
                    let approved = model[index].approved
                    if try await !shows(await sandbox.graph.photo(ofUser: mail(index)), approved, readings: &readings) { wrong.append("\(mail(index)) in Entra") }
                    if try await !shows(await sandbox.google.photo(ofUser: mail(index)), approved, readings: &readings) { wrong.append("\(mail(index)) in Google") }
                }
                #expect(wrong.isEmpty, "round \(round): \(wrong.count) accounts do not show the approved photo: \(wrong.prefix(10))")
                let queue = try #require(try await work.cli.running(["queue", "--config", "portrait.toml", "--json"]).json()["waiting"] as? [[String: Any]])
                #expect(queue.count == model.count { $0.waiting != nil }, "round \(round): the queue")
            }
        }
    }
}
