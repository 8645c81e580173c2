import Foundation
import PortraitCore
import Sandbox
import TestPhotographs
import Testing

/// The loop settles however a service keeps a photo: for every copy behaviour the sandbox has,
/// with every kind of photo, push, sync, and push and sync in turn, to Graph, Google and a folder
/// write each photo once; the second run writes nothing and downloads at most one confirmation
/// per photo written; the third downloads nothing.
@Suite(.serialized) struct ConvergenceTests {
    /// Two people of each kind.
    static let people = PhotoKind.allCases.count * 2
    /// A folder target beside the services: 96 px within 10 KB, kept as written.
    static let folder = """

        [systems.intranet]
        type = "folder"
        path = "out/96"
        side = 96
        max_bytes = 10240
        """

    struct Counts: Equatable, CustomStringConvertible {
        var uploads: (graph: Int, google: Int)
        var downloads: (graph: Int, google: Int)
        static func == (a: Counts, b: Counts) -> Bool { a.description == b.description }
        var description: String {
            "uploads Graph \(uploads.graph), Google \(uploads.google); downloads Graph \(downloads.graph), Google \(downloads.google)"
        }
    }

    func counts(_ sandbox: Sandbox) async -> Counts {
        let (graph, google) = (await sandbox.graph.stats(), await sandbox.google.stats())
        return Counts(uploads: (graph.uploads, google.uploads), downloads: (graph.downloads, google.downloads))
    }

    /// Runs `run` three times; the sandbox's counts for each.
    func threeRuns(_ sandbox: Sandbox, _ what: String, _ run: () async throws -> (Int32, String)) async throws -> [Counts] {
        var counts: [Counts] = []
        for _ in 0..<3 {
            let before = await self.counts(sandbox)
            let (status, output) = try await run()
            #expect(status == 0, "\(what): \(output)")
            let after = await self.counts(sandbox)
            counts.append(Counts(uploads: (after.uploads.graph - before.uploads.graph, after.uploads.google - before.uploads.google),
                                 downloads: (after.downloads.graph - before.downloads.graph, after.downloads.google - before.downloads.google)))
        }
        return counts
    }

    func expectSettled(_ runs: [Counts], _ what: String) {
        let n = Self.people
        print("\(what): \(runs.enumerated().map { "run \($0 + 1): \($1)" }.joined(separator: " | "))")
        #expect(runs[0].uploads == (n, n), "\(what), first run: \(runs[0])")
        #expect(runs[1].uploads == (0, 0) && runs[1].downloads.graph <= n && runs[1].downloads.google <= n, "\(what), second run: \(runs[1])")
        #expect(runs[2].uploads == (0, 0) && runs[2].downloads == (0, 0), "\(what), third run: \(runs[2])")
    }

    /// A sandbox whose services keep copies as `copies` say; every other behaviour also moves a
    /// photo's version once the service made its copy.
    func withServices(_ index: Int, _ copies: CopyBehaviour, _ body: (Sandbox, String) async throws -> Void) async throws {
        let movesVersion = index % 2 == 1
        try await withSandbox({
            $0.users = Self.people
            $0.graphCopies = copies
            $0.googleCopies = copies
            $0.copiesMoveVersion = movesVersion
            $0.seed = UInt64(index + 1)
        }) { sandbox in
            try await body(sandbox, "copies \(copies)\(movesVersion ? ", versions moved by the copy" : "")")
        }
    }

    /// One run of the loop: its exit status, what it said, and how many photos it wrote to the folder.
    typealias Run = @Sendable (Workspace) async throws -> (status: Int32, output: String, folderWrites: Int?)

    static let push: Run = { work in
        let result = try await work.cli.running(["push", "--config", "portrait.toml", "--from", "hr", "--to", "m365,gws,intranet", "--json"],
                                                environment: [Workspace.secretVariable: "sandbox-secret"])
        return (result.status, result.stdout + result.stderr, tally(try result.json(), "intranet", "uploaded"))
    }

    static let sync: Run = { work in
        let result = try await work.sync()
        return (result.status, result.output, tally(result.json, "intranet", "uploaded"))
    }

    /// `runs`, one after another, settle under `copies` with the `[sync]` table `policy`.
    func expectSettles(_ name: String, _ index: Int, _ copies: CopyBehaviour, policy: String, runs: [Run]) async throws {
        try await withServices(index, copies) { sandbox, what in
            let work = try Workspace()
            try work.syncSetup(sandbox: sandbox, people: Self.people, kinds: PhotoKind.allCases, more: Self.folder, sync: policy)
            var folderWrites: [Int?] = []
            expectSettled(try await threeRuns(sandbox, "\(name), \(what)") {
                let result = try await runs[folderWrites.count](work)
                folderWrites.append(result.folderWrites)
                return (result.status, result.output)
            }, "\(name), \(what)")
            #expect(folderWrites == [Self.people, 0, 0], "\(name), \(what): the folder")
        }
    }

    @Test(arguments: CopyBehaviour.sweep.enumerated().map { $0 })
    func pushSettles(index: Int, copies: CopyBehaviour) async throws {
        try await expectSettles("push", index, copies, policy: """
            sources = ["hr"]
            targets = ["m365", "gws", "intranet"]
            """, runs: [Self.push, Self.push, Self.push])
    }

    /// A push, then a sync of the same delivery, then a push again: each knows the other's writes.
    @Test(arguments: CopyBehaviour.sweep.enumerated().map { $0 })
    func pushThenSyncSettles(index: Int, copies: CopyBehaviour) async throws {
        try await expectSettles("push, sync, push", index, copies, policy: """
            sources = ["m365", "hr"]
            targets = ["m365", "gws", "intranet"]
            approval = ["m365"]
            """, runs: [Self.push, Self.sync, Self.push])
    }

    /// Entra is a source needing approval and a target: Portrait's own writes there are echoes,
    /// never changes to approve.
    @Test(arguments: CopyBehaviour.sweep.enumerated().map { $0 })
    func syncSettles(index: Int, copies: CopyBehaviour) async throws {
        try await expectSettles("sync", index, copies, policy: """
            sources = ["m365", "hr"]
            targets = ["m365", "gws", "intranet"]
            approval = ["m365"]
            unapproved = "revert"
            """, runs: [Self.sync, Self.sync, Self.sync])
    }
}
