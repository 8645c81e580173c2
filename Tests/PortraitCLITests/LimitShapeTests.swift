import Foundation
import PortraitCore
import Sandbox
import Testing

/// Push, sync and pull hold under every shape a service's limit takes: Graph and Google each
/// refuse by the shape (a burst window with and without Retry-After, a cap on requests at once,
/// a limit halved mid-run, a window of a length Portrait is not told), and still every photo
/// arrives, none is lost, and no request is sent during a Retry-After.
@Suite(.serialized) struct LimitShapeTests {
    static let people = 24
    static let shapes = ["10/1s", "10/1s,no-retry-after", "3-at-once", "12/1s,halved:0.5-4", "20/4s,no-retry-after"]

    @Test(arguments: shapes)
    func everyPhotoArrivesAndNoRequestIsEarly(spec: String) async throws {
        let shape = try #require(LimitShape(spec: spec))
        try await withSandbox({
            $0.users = Self.people
            $0.latency = .milliseconds(5)
            $0.graphLimits.append(shape)
            $0.googleLimits.append(shape)
            $0.earlyPenalty = .seconds(2)
        }) { sandbox in
            let work = try Workspace()
            try work.syncSetup(sandbox: sandbox, people: Self.people, sync: """
                sources = ["hr"]
                targets = ["m365", "gws"]
                """)
            let secret = [Workspace.secretVariable: "sandbox-secret"]
            let push = try await work.cli.running(["push", "--config", "portrait.toml", "--from", "hr", "--to", "m365,gws", "--json"], environment: secret)
            #expect(push.status == 0, "\(spec): \(push.stdout) \(push.stderr)")
            let pushed = try push.json()
            #expect(tally(pushed, "m365", "uploaded") == Self.people && tally(pushed, "gws", "uploaded") == Self.people, "\(spec): \(push.stdout)")

            let sync = try await work.sync()
            #expect(sync.status == 0, "\(spec): \(sync.output)")
            #expect(tally(sync.json, "m365", "uploaded") == 0 && tally(sync.json, "gws", "uploaded") == 0, "\(spec): nothing changed")

            for system in ["m365", "gws"] {
                let pull = try await work.cli.running(["pull", "--config", "portrait.toml", "--from", system, "--out", "pulled-\(system)", "--json"],
                                                      environment: secret)
                #expect(pull.status == 0, "\(spec), pull from \(system): \(pull.stdout) \(pull.stderr)")
                let photos = try FileManager.default.contentsOfDirectory(atPath: work.path("pulled-\(system)").path).filter { $0.hasSuffix(".jpg") }
                #expect(photos.count == Self.people, "\(spec), pull from \(system)")
            }

            for (service, stats) in [("Graph", await sandbox.graph.stats()), ("Google", await sandbox.google.stats())] {
                print("\(spec), \(service): \(stats.uploads) uploads, throttled \(stats.throttledByLimit), early \(stats.earlyRequests)")
                #expect(stats.uploads == Self.people, "\(spec), \(service): each photo written once")
                #expect((stats.throttledByLimit[shape.description] ?? 0) > 0, "\(spec), \(service): the limit was reached")
                #expect(stats.earlyRequests == 0, "\(spec), \(service): requests during a Retry-After: \(stats.earlyByLimit)")
            }
        }
    }
}
