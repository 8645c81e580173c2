import ArgumentParser
import Foundation
import Sandbox
import GraphSystem
import PortraitCore
import PortraitHTTP

/// `make bench-graph`: `portrait push` and `pull` against the Graph sandbox at its throttle
/// limit, compared with the bound the limit sets (requests × latency ÷ concurrency); then under
/// a write budget and every shape a limit takes, beside a plain client with the best fixed
/// settings for it (it knows the limit; Portrait does not); then the same push with faults
/// injected, and memory with a large tenant.
struct GraphBenchmark: ParsableArguments {
    @Option(help: "Users in the tenant.")
    var users = 2_000

    @Option(help: "Photos to push.")
    var photos = 1_000

    @Option(help: "Milliseconds the sandbox adds to every request.")
    var latencyMs = 50

    @Option(help: "Photo requests the sandbox allows at once.")
    var concurrency = 4

    @Option(help: "The fault rate of the fault run.")
    var faultRate = 0.1

    @Option(help: "Users in the tenant of the memory run.")
    var memoryUsers = 10_000

    @Option(help: "Metadata reads in the direct-versus-$batch comparison.")
    var batchReads = 400

    @Option(help: "Where generated photos and outputs are kept between runs.")
    var work = ".build/bench"

    static let secretVariable = "PORTRAIT_BENCH_SECRET"

    struct Row {
        var name: String
        var seconds: Double
        var requests: Int
        var bound: Double
        var early: Int
        var peakMB: Double
        var note: String
    }

    @Option(help: "Photo writes per second in the write-budget run (the sandbox's resource-unit mode).")
    var writeRate = 20

    @Option(help: "Photos to push under each limit shape (0 skips them).")
    var shapePhotos = 300

    /// A shape of Graph's limits, and the fixed settings a plain client that knows it would use.
    struct Shape {
        var name: String
        var limits: [LimitShape]
        var workers: Int
        var pace: [(requests: Int, per: Duration)] = []
        /// How many times `--shape-photos` the job is: a cap under the documented 4 at once costs
        /// any client that is not told of it one refused request and its Retry-After (1 s), a
        /// tenth of a job only of 10 s or more.
        var scale = 1

        /// The pacing a plain client's pull keeps: none under a limit on writes alone.
        var readPace: [(requests: Int, per: Duration)] {
            limits.contains { $0.scope == .writes } ? [] : pace
        }
    }

    static let shapes: [Shape] = [
        Shape(name: "10 writes/s, Retry-After", limits: [.concurrency(4, scope: .photos), .window(10, per: .seconds(1), scope: .writes)],
              workers: 4, pace: [(10, .seconds(1))]),
        Shape(name: "15 requests/s, no Retry-After", limits: [.concurrency(4, scope: .photos), .window(15, per: .seconds(1), retryAfter: false)],
              workers: 4, pace: [(15, .seconds(1))]),
        Shape(name: "2 at once", limits: [.concurrency(2, scope: .photos)], workers: 2, scale: 3),
        Shape(name: "10 writes/s, halved 5–15 s",
              limits: [.concurrency(4, scope: .photos), .window(10, per: .seconds(1), scope: .writes, halved: .seconds(5) ..< .seconds(15))],
              workers: 4, pace: [(10, .seconds(1))]),
    ]

    func measure() async throws {
        let root = URL(fileURLWithPath: work).standardizedFileURL
        let photoFolder = root.appendingPathComponent("photos-640x800")
        try PhotoSet.generate(count: max(photos, shapePhotos * Self.shapes.map(\.scale).max()!), width: 640, height: 800, into: photoFolder)
        var rows: [Row] = []
        var ratios: [String] = []

        // 1. At the per-app concurrency limit: a plain client's push, Portrait's, then a pull.
        var reference = try await withSandbox(users: users, latency: latencyMs, faults: 0, photoFraction: 0) { sandbox in
            try await referencePush(sandbox, photoFolder: photoFolder, name: "reference: PUT each photo, 4 at once")
        }
        rows.append(reference)
        try await withSandbox(users: users, latency: latencyMs, faults: 0, photoFraction: 0) { sandbox in
            let run = try prepare(root.appendingPathComponent("graph-run"), sandbox: sandbox, photoFolder: photoFolder)
            let push = try await measured("push \(photos) photos", sandbox: sandbox) {
                try portrait(["push", "--config", run.config, "--from", "photographer", "--to", "m365", "--json"], expect: 0)
            }
            rows.append(push)
            ratios.append(String(format: "push, concurrency limit: %.0f%% of the reference (%.2f s against %.2f s; goal ≥ 90%%)",
                                 100 * reference.seconds / push.seconds, push.seconds, reference.seconds))
            let pull = try await measured("pull \(users) users", sandbox: sandbox) {
                try portrait(["pull", "--config", run.config, "--from", "m365", "--out", run.folder + "/pulled", "--json"], expect: 0)
            }
            rows.append(pull)
            ratios.append(String(format: "pull: %.0f%% of its bound (%d requests × %d ms ÷ %d = %.2f s; goal ≥ 90%%)",
                                 100 * pull.bound / pull.seconds, pull.requests, latencyMs, concurrency, pull.bound))
        }

        // 2. Under a write budget (writes per second, not concurrency): the same two pushes.
        reference = try await withSandbox(users: users, latency: latencyMs, faults: 0, photoFraction: 0, writeRate: writeRate) { sandbox in
            try await referencePush(sandbox, photoFolder: photoFolder, name: "reference, \(writeRate) writes/s")
        }
        rows.append(reference)
        try await withSandbox(users: users, latency: latencyMs, faults: 0, photoFraction: 0, writeRate: writeRate) { sandbox in
            let run = try prepare(root.appendingPathComponent("graph-budget"), sandbox: sandbox, photoFolder: photoFolder)
            var push = try await measured("push \(photos), \(writeRate) writes/s", sandbox: sandbox) {
                try portrait(["push", "--config", run.config, "--from", "photographer", "--to", "m365", "--json"], expect: 0)
            }
            push.bound = Double(photos) / Double(writeRate)
            rows.append(push)
            ratios.append(String(format: "push, write budget: %.0f%% of the reference (%.2f s against %.2f s; goal ≥ 90%%)",
                                 100 * reference.seconds / push.seconds, push.seconds, reference.seconds))
        }

        // 2b. Every shape a limit takes, Portrait told nothing of it: push, sync and pull, each in
        // a fresh tenant beside a plain client with the best fixed settings for the shape. A sync
        // into an empty tenant has a push's minimum work: one PUT per photo.
        if shapePhotos > 0 {
            for shape in Self.shapes {
                let count = shapePhotos * shape.scale
                let reference = try await withSandbox(users: max(users, count), latency: latencyMs, faults: 0, photoFraction: 0, limits: shape.limits) { sandbox in
                    try await referencePush(sandbox, photoFolder: photoFolder, name: "plain push, \(shape.name)", count: count,
                                            workers: shape.workers, pace: shape.pace)
                }
                rows.append(reference)
                for command in ["push", "sync"] {
                    try await withSandbox(users: max(users, count), latency: latencyMs, faults: 0, photoFraction: 0, limits: shape.limits) { sandbox in
                        let run = try prepare(root.appendingPathComponent("graph-shape"), sandbox: sandbox, photoFolder: photoFolder, count: count)
                        let arguments = command == "push" ? ["push", "--from", "photographer", "--to", "m365"] : ["sync"]
                        var row = try await measured("\(command) \(count), \(shape.name)", sandbox: sandbox) {
                            try portrait(arguments + ["--config", run.config, "--json"], expect: 0)
                        }
                        var stored = 0
                        for index in 0..<count where await sandbox.graph.photo(ofUser: SamplePeople.mail(index, domain: "example.com")) != nil {
                            stored += 1
                        }
                        row.bound = 0
                        row.note = "\(count - stored) lost"
                        rows.append(row)
                        ratios.append(String(format: "%@, %@: %.2f of the plain client (%.2f s against %.2f s; goal ≥ 0.9); %d early, %d lost",
                                             command, shape.name, reference.seconds / row.seconds, row.seconds, reference.seconds, row.early, count - stored))
                    }
                }
                // A pull of a tenant where everyone has a photo.
                let pullReference = try await withSandbox(users: count, latency: latencyMs, faults: 0, photoFraction: 1, limits: shape.limits) { sandbox in
                    try await referencePull(sandbox, name: "plain pull, \(shape.name)", count: count, workers: shape.workers, pace: shape.readPace)
                }
                rows.append(pullReference)
                try await withSandbox(users: count, latency: latencyMs, faults: 0, photoFraction: 1, limits: shape.limits) { sandbox in
                    let run = try prepare(root.appendingPathComponent("graph-shape"), sandbox: sandbox, photoFolder: photoFolder, count: 0)
                    var pull = try await measured("pull \(count), \(shape.name)", sandbox: sandbox) {
                        try portrait(["pull", "--config", run.config, "--from", "m365", "--out", run.folder + "/pulled", "--json"], expect: 0)
                    }
                    let pulled = (try? FileManager.default.contentsOfDirectory(atPath: run.folder + "/pulled").filter { $0.hasSuffix(".jpg") }.count) ?? 0
                    pull.bound = 0
                    pull.note = "\(count - pulled) not pulled"
                    rows.append(pull)
                    ratios.append(String(format: "pull, %@: %.2f of the plain client (%.2f s against %.2f s; goal ≥ 0.9); %d early, %d not pulled",
                                         shape.name, pullReference.seconds / pull.seconds, pull.seconds, pullReference.seconds, pull.early, count - pulled))
                }
            }
        }

        // 3. The same push with faults: nothing may be lost.
        try await withSandbox(users: users, latency: latencyMs, faults: faultRate, photoFraction: 0) { sandbox in
            let run = try prepare(root.appendingPathComponent("graph-faults"), sandbox: sandbox, photoFolder: photoFolder)
            var exit: Int32 = 0
            var failures = ""
            var row = try await measured("push \(photos), \(Int(faultRate * 100))% faults", sandbox: sandbox) {
                let result = try portrait(["push", "--config", run.config, "--from", "photographer", "--to", "m365", "--json"], expect: nil)
                exit = result.status
                let json = (try? JSONSerialization.jsonObject(with: result.stdout)) as? [String: Any]
                failures = ((json?["errors"] as? [[String: Any]])?.first?["message"] as? String) ?? (json?["error"] as? String) ?? ""
                return result
            }
            var stored = 0
            for index in 0..<photos where await sandbox.graph.photo(ofUser: SamplePeople.mail(index, domain: "example.com")) != nil {
                stored += 1
            }
            let stats = await sandbox.graph.stats()
            row.note = "\(photos - stored) lost, \(stats.faultsInjected) faults, exit \(exit)" + (failures.isEmpty ? "" : ": \(failures)")
            rows.append(row)
        }

        // 4. Memory with a large tenant (no latency: memory, not time, is measured here).
        try await withSandbox(users: memoryUsers, latency: 0, faults: 0, photoFraction: 0.1) { sandbox in
            let run = try prepare(root.appendingPathComponent("graph-memory"), sandbox: sandbox, photoFolder: photoFolder)
            var push = try await measured("push \(photos), \(memoryUsers) users", sandbox: sandbox) {
                try portrait(["push", "--config", run.config, "--from", "photographer", "--to", "m365", "--json"], expect: 0)
            }
            push.bound = 0
            rows.append(push)
            var pull = try await measured("pull \(memoryUsers) users", sandbox: sandbox) {
                try portrait(["pull", "--config", run.config, "--from", "m365", "--out", run.folder + "/pulled", "--json"], expect: 0)
            }
            pull.bound = 0
            rows.append(pull)
        }

        // 5. Should metadata reads go in JSON batches? The same reads both ways, in this process.
        try await withSandbox(users: users, latency: latencyMs, faults: 0, photoFraction: 0.5) { sandbox in
            rows.append(try await metadataReads(sandbox, batched: false))
            rows.append(try await metadataReads(sandbox, batched: true))
        }

        print("")
        print("run                                   seconds  requests  bound s  of bound  early  peak RSS  notes")
        for row in rows {
            let share = row.bound > 0 ? String(format: "%7.0f%%", 100 * row.bound / row.seconds) : "       -"
            let bound = row.bound > 0 ? String(format: "%7.2f", row.bound) : "      -"
            let memory = row.peakMB > 0 ? String(format: "%5.1f MB", row.peakMB) : "       -"
            print(row.name.padding(toLength: 37, withPad: " ", startingAt: 0)
                + String(format: " %7.2f  %8d  %@  %@  %5d  %@  ", row.seconds, row.requests, bound, share, row.early, memory) + row.note)
        }
        print("\nbound = requests × \(latencyMs) ms ÷ \(concurrency) (the sandbox's photo concurrency limit), or photos ÷ writes per second; 0 early, 0 lost, < 150 MB with \(memoryUsers) users are goals too.")
        for ratio in ratios { print(ratio) }
    }

    /// What a plain client does, the minimum work of a push: one PUT per photo, `workers` (the
    /// concurrency limit) at a time.
    private func referencePush(_ sandbox: Sandbox, photoFolder: URL, name: String, count: Int? = nil, workers: Int? = nil,
                               pace: [(requests: Int, per: Duration)] = []) async throws -> Row {
        try await plainClient(sandbox, name: name, count: count ?? photos, workers: workers ?? concurrency, pace: pace) { index, token in
            HTTPRequestSpec(method: .PUT, url: "\(sandbox.baseURL)/v1.0/users/\(SamplePeople.mail(index, domain: "example.com"))/photo/$value",
                            headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "image/jpeg")],
                            body: try Data(contentsOf: photoFolder.appendingPathComponent(PhotoSet.fileName(index))))
        }
    }

    /// What a plain client does, the minimum work of a pull: one GET of each user's photo.
    private func referencePull(_ sandbox: Sandbox, name: String, count: Int, workers: Int, pace: [(requests: Int, per: Duration)]) async throws -> Row {
        try await plainClient(sandbox, name: name, count: count, workers: workers, pace: pace) { index, token in
            HTTPRequestSpec(method: .GET, url: "\(sandbox.baseURL)/v1.0/users/\(SamplePeople.mail(index, domain: "example.com"))/photo/$value",
                            headers: [("Authorization", "Bearer \(token)")])
        }
    }

    /// One request per photo, `request` building it with the token, `workers` at a time, paced by
    /// fixed windows if given, each worker sleeping out a 429's or 503's Retry-After (or a
    /// second) before sending that one again.
    private func plainClient(_ sandbox: Sandbox, name: String, count: Int, workers: Int, pace: [(requests: Int, per: Duration)],
                             _ request: @escaping @Sendable (Int, String) throws -> HTTPRequestSpec) async throws -> Row {
        let token = try await graphToken(sandbox)
        let http = try HTTPService()
        let pacers = pace.map { FixedPacer(requests: $0.requests, per: $0.per) }
        let before = await sandbox.graph.stats()
        let clock = ContinuousClock()
        let started = clock.now
        try await PlainClient.each(count: count, workers: workers, refusals: [429, 503]) { index in
            let spec = try request(index, token)
            for pacer in pacers { await pacer.next() }
            return try await http.send(spec)
        }
        let seconds = (clock.now - started).seconds
        let after = await sandbox.graph.stats()
        let requests = after.requests - before.requests
        return Row(name: name, seconds: seconds, requests: requests,
                   bound: Double(requests) * Double(latencyMs) / 1000 / Double(concurrency),
                   early: after.earlyRequests - before.earlyRequests, peakMB: 0,
                   note: "\(after.uploads - before.uploads) uploads, \(after.downloads - before.downloads) downloads (in this process)")
    }

    private func withSandbox<T>(users: Int, latency: Int, faults: Double, photoFraction: Double, writeRate: Int = 0,
                                limits: [LimitShape]? = nil, _ body: (Sandbox) async throws -> T) async throws -> T {
        var options = SandboxOptions()
        options.users = users
        options.latency = .milliseconds(latency)
        options.faultRate = faults
        options.photoFraction = photoFraction
        options.graphLimits = limits ?? [.concurrency(concurrency, scope: .photos)] + (writeRate > 0 ? [.window(writeRate, per: .seconds(1), scope: .writes)] : [])
        return try await Sandbox.run(options, body)
    }

    /// A fresh folder with a CSV mapping the photos to the tenant's first users, and a config.
    private func prepare(_ folder: URL, sandbox: Sandbox, photoFolder: URL, count: Int? = nil) throws -> (config: String, folder: String) {
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var csv = "path,mail\n"
        for index in 0..<(count ?? photos) {
            csv += "\(photoFolder.appendingPathComponent(PhotoSet.fileName(index)).path),\(SamplePeople.mail(index, domain: "example.com"))\n"
        }
        try Data(csv.utf8).write(to: folder.appendingPathComponent("map.csv"))
        try Data("""
            [systems.photographer]
            type = "folder"
            path = "\(photoFolder.path)"
            csv = "map.csv"

            [systems.m365]
            type = "graph"
            tenant = "\(sandbox.options.tenant)"
            client_id = "\(sandbox.options.clientId)"
            client_secret_env = "\(Self.secretVariable)"
            graph_url = "\(sandbox.baseURL)"
            login_url = "\(sandbox.baseURL)"

            [sync]
            sources = ["photographer"]
            targets = ["m365"]
            """.utf8).write(to: folder.appendingPathComponent("portrait.toml"))
        return (folder.appendingPathComponent("portrait.toml").path, folder.path)
    }

    /// Runs `body` and reads what it cost from the sandbox's counters.
    private func measured(_ name: String, sandbox: Sandbox, _ body: () throws -> Child.Measurement) async throws -> Row {
        let before = await sandbox.graph.stats()
        FileHandle.standardError.write(Data("\(name)…\n".utf8))
        let result = try body()
        // What Portrait said of the service's limits, to tell why a run was slow.
        for line in String(decoding: result.stderr, as: UTF8.self).split(separator: "\n") where line.contains("asks for less") {
            FileHandle.standardError.write(Data("  \(line)\n".utf8))
        }
        let after = await sandbox.graph.stats()
        let requests = after.requests - before.requests
        return Row(name: name, seconds: result.seconds, requests: requests,
                   bound: Double(requests) * Double(latencyMs) / 1000 / Double(concurrency),
                   early: after.earlyRequests - before.earlyRequests, peakMB: result.peakMB, note: "")
    }

    /// Reads the photo metadata of the first `batchReads` users: one request each through
    /// GraphSystem (its throttle keeps 4 in flight), or 20 to a `$batch`, one batch at a time
    /// (a batch already runs 4 at once), sub-requests answered 429 sent again in a later batch.
    private func metadataReads(_ sandbox: Sandbox, batched: Bool) async throws -> Row {
        let accounts = (0..<batchReads).map { index in
            Account(id: String(format: "%08x-0000-4000-8000-%012x", index + 1, index + 1), keys: MatchKeys(), photo: .unknown)
        }
        let graph = try GraphSystem(name: "m365", settings: GraphSettings(
            tenant: sandbox.options.tenant, clientId: sandbox.options.clientId, credential: .secret(Secret("sandbox-secret")),
            graphURL: sandbox.baseURL, loginURL: sandbox.baseURL, profile: RenditionProfile(side: 648)))
        let token = try await graphToken(sandbox)
        let before = await sandbox.graph.stats()
        let clock = ContinuousClock()
        let started = clock.now
        var answered = 0
        if batched {
            var waiting = accounts.map(\.id)
            while !waiting.isEmpty {
                let chunk = Array(waiting.prefix(20))
                waiting.removeFirst(chunk.count)
                let body: [String: Any] = ["requests": chunk.enumerated().map { ["id": "\($0.offset)", "method": "GET", "url": "/users/\($0.element)/photo"] }]
                let reply = try await HTTPService().send(HTTPRequestSpec(
                    method: .POST, url: "\(sandbox.baseURL)/v1.0/$batch",
                    headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
                    body: try JSONSerialization.data(withJSONObject: body)))
                let responses = ((try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any])?["responses"] as? [[String: Any]] ?? []
                var pause = 0
                for response in responses {
                    let status = response["status"] as? Int ?? 0
                    if status == 429, let id = (response["id"] as? String).flatMap(Int.init) {
                        waiting.append(chunk[id])
                        pause = max(pause, Int((response["headers"] as? [String: String])?["Retry-After"] ?? "1") ?? 1)
                    } else {
                        answered += 1
                    }
                }
                if pause > 0 { try await Task.sleep(for: .seconds(pause)) }
            }
        } else {
            answered = try await withThrowingTaskGroup(of: Int.self) { group in
                for account in accounts { group.addTask { _ = try await graph.photoVersion(of: account); return 1 } }
                return try await group.reduce(0, +)
            }
        }
        let seconds = (clock.now - started).seconds
        let after = await sandbox.graph.stats()
        let requests = after.requests - before.requests
        return Row(name: batched ? "\(batchReads) metadata reads, $batch" : "\(batchReads) metadata reads, direct",
                   seconds: seconds, requests: requests,
                   bound: Double(requests) * Double(latencyMs) / 1000 / Double(concurrency),
                   early: after.earlyRequests - before.earlyRequests, peakMB: 0,
                   note: "\(answered) answered (in this process)")
    }

    private func portrait(_ arguments: [String], expect status: Int32?) throws -> Child.Measurement {
        let result = try Child.run(Child.benchmarkExecutable, [Child.portraitCommand] + arguments,
                                   environment: [Self.secretVariable: "sandbox-secret"])
        if let status, result.status != status {
            throw ValidationError("portrait \(arguments.first ?? "") exited \(result.status): \(String(decoding: result.stdout, as: UTF8.self))")
        }
        return result
    }
}
