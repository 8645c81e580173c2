import ArgumentParser
import Foundation
import PortraitCore
import PortraitHTTP
import PortraitImaging
import Sandbox

/// `make bench-sync`: `portrait sync` of a large organisation — Entra (Graph sandbox) the source
/// and a target, Google (Google sandbox) and an intranet folder (96 px ≤ 10 KB) targets — when
/// nothing changed and when 1% of the photos changed in Entra since the last run, beside a plain
/// client doing the minimum work of the same job in the same run: list Entra's users, ask each
/// photo's etag (Graph has no cheaper signal), download the changed ones, PUT each to Google and
/// write it to the folder.
struct SyncBenchmark: ParsableArguments {
    @Option(help: "People in every system.")
    var people = 10_000

    @Option(help: "Milliseconds the sandbox adds to every request.")
    var latencyMs = 50

    @Option(help: "Percent of people whose Entra photo changes before the measured run.")
    var changedPercent = 1.0

    @Option(help: "Google's requests per minute per admin, in the sandbox and the configuration.")
    var quota = 2_400

    @Option(help: "Where the runs' stores and folders are kept.")
    var work = ".build/bench"

    static let secretVariable = "PORTRAIT_BENCH_SECRET"
    /// The sandbox's concurrent Graph photo requests per app, Graph's documented limit.
    static let graphConcurrency = 4
    /// The plain client's Google workers, as many as Portrait's Google concurrency allows.
    static let googleWorkers = 32

    struct Row {
        var name: String
        var seconds: Double
        var graphRequests: Int
        var googleRequests: Int
        var written: String
        var peakMB: Double
    }

    var changed: [Int] {
        let step = max(1, Int((100 / changedPercent).rounded()))
        return Array(stride(from: 0, to: people, by: step))
    }

    func measure() async throws {
        let root = URL(fileURLWithPath: work).standardizedFileURL.appendingPathComponent("sync")
        try? FileManager.default.removeItem(at: root)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let latency = Duration.milliseconds(latencyMs)
        // Every changed photo is made once, so both sides receive the same bytes.
        let newPhotos = try changed.map { try SamplePortrait.bitmap(seed: 900_000 + $0, width: 600, height: 600).encoded(as: .jpeg(quality: 90, orientation: nil)) }
        var rows: [Row] = []

        // The plain client, on a sandbox of its own with the same people and photos.
        let plain = try await withSandbox { sandbox in
            let client = try PlainSync(sandbox: sandbox, folder: root.appendingPathComponent("plain-intranet"), quota: quota)
            log("plain client: reading every etag once (set-up, no latency)…")
            await sandbox.setConditions(latency: .zero, googleLimits: [])
            let etags = try await client.remember()
            try await changePhotos(sandbox, newPhotos)
            await sandbox.setConditions(latency: latency, googleLimits: Self.googleLimits(quota))
            log("plain client: the changed run…")
            let before = await counts(sandbox)
            let started = ContinuousClock.now
            let written = try await client.run(known: etags)
            let seconds = (ContinuousClock.now - started).seconds
            let after = await counts(sandbox)
            return Row(name: "plain client, \(changed.count) changed", seconds: seconds, graphRequests: after.graph - before.graph,
                       googleRequests: after.google - before.google, written: "gws \(written), intranet \(written)", peakMB: 0)
        }
        rows.append(plain)

        let (unchanged, update) = try await withSandbox { sandbox in
            let folder = root.appendingPathComponent("portrait")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let key = folder.appendingPathComponent("google-key.json")
            FileManager.default.createFile(atPath: key.path, contents: sandbox.google.serviceAccountKey(tokenURI: sandbox.baseURL + "/token"),
                                           attributes: [.posixPermissions: 0o600])
            let config = folder.appendingPathComponent("portrait.toml")

            log("portrait sync: the first run, every photo published (set-up, no latency, no quota)…")
            await sandbox.setConditions(latency: .zero, googleLimits: [])
            try configure(config, sandbox: sandbox, quota: 1_000_000)
            rows.append(try await measuredSync("set-up: first sync (no latency)", sandbox, config: config))

            await sandbox.setConditions(latency: latency, googleLimits: Self.googleLimits(quota))
            try configure(config, sandbox: sandbox, quota: quota)
            log("portrait sync: nothing changed…")
            let unchanged = try await measuredSync("portrait sync, nothing changed", sandbox, config: config)
            try await changePhotos(sandbox, newPhotos)
            log("portrait sync: \(changed.count) changed in Entra…")
            let update = try await measuredSync("portrait sync, \(changed.count) changed", sandbox, config: config)
            return (unchanged, update)
        }
        rows += [unchanged, update]

        // Graph is the slowest system: one etag request per person, 4 at a time, then the changed
        // photos' downloads; its user list pages are read one after another.
        let pages = (people + 998) / 999
        let bound = Double(people + changed.count) * Double(latencyMs) / 1000 / Double(Self.graphConcurrency)
            + Double(pages) * Double(latencyMs) / 1000

        print("")
        print("run                                     seconds  Graph requests  Google requests  written                           peak RSS")
        for row in rows {
            let memory = row.peakMB > 0 ? String(format: "%6.1f MB", row.peakMB) : "        -"
            print(row.name.padding(toLength: 38, withPad: " ", startingAt: 0)
                + String(format: " %8.2f  %14d  %15d  ", row.seconds, row.graphRequests, row.googleRequests)
                + row.written.padding(toLength: 32, withPad: " ", startingAt: 0) + "  " + memory)
        }
        print("")
        print(String(format: "bound of the slowest system (Graph): (%d etags + %d downloads) × %d ms ÷ %d + %d list pages × %d ms = %.2f s",
                     people, changed.count, latencyMs, Self.graphConcurrency, pages, latencyMs, bound))
        print(String(format: "%d changed: portrait %.2f s = %.3f× the plain client (%.2f s), %.3f× the bound (goal ≤ 1.15×); peak %.1f MB (goal < 200 MB)",
                     changed.count, update.seconds, update.seconds / plain.seconds, plain.seconds, update.seconds / bound, update.peakMB))
        print(String(format: "nothing changed: portrait %.2f s = %.3f× the bound of its %d etag reads; wrote %@",
                     unchanged.seconds, unchanged.seconds / (Double(people) * Double(latencyMs) / 1000 / Double(Self.graphConcurrency)),
                     people, unchanged.written))
    }

    private func log(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

    /// Each changed person sets a new photo in Entra.
    private func changePhotos(_ sandbox: Sandbox, _ photos: [Data]) async throws {
        for (index, photo) in zip(changed, photos) {
            await sandbox.graph.replacePhoto(ofUser: SamplePeople.mail(index, domain: sandbox.options.mailDomain), with: photo)
        }
    }

    /// Google's documented quota, `quota` a minute; none at 0.
    static func googleLimits(_ quota: Int) -> [LimitShape] {
        quota > 0 ? [.window(quota, per: .seconds(60), retryAfter: false)] : []
    }

    private func withSandbox<T>(_ body: (Sandbox) async throws -> T) async throws -> T {
        var options = SandboxOptions()
        options.users = people
        options.photoFraction = 1
        options.graphLimits = [.concurrency(Self.graphConcurrency, scope: .photos)]
        options.googleLimits = Self.googleLimits(quota)
        return try await Sandbox.run(options, body)
    }

    private func configure(_ file: URL, sandbox: Sandbox, quota: Int) throws {
        try Data("""
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
            quota_per_minute = \(quota)

            [systems.intranet]
            type = "folder"
            path = "intranet"
            side = 96
            max_bytes = 10240

            [sync]
            sources = ["m365"]
            targets = ["m365", "gws", "intranet"]
            min_side = 200  # the tenant's photos are 240 px
            """.utf8).write(to: file)
    }

    /// `portrait sync --json`, as users run it, in a process of its own.
    private func sync(_ config: URL) throws -> (Child.Measurement, [String: Any]) {
        let result = try Child.run(Child.benchmarkExecutable, [Child.portraitCommand, "sync", "--config", config.path, "--json"],
                                   environment: [Self.secretVariable: "sandbox-secret"])
        guard result.status == 0, let json = (try? JSONSerialization.jsonObject(with: result.stdout)) as? [String: Any] else {
            throw ValidationError("portrait sync exited \(result.status): \(String(decoding: result.stdout + result.stderr, as: UTF8.self).prefix(2000))")
        }
        return (result, json)
    }

    /// Requests each service has answered so far.
    private func counts(_ sandbox: Sandbox) async -> (graph: Int, google: Int) {
        (await sandbox.graph.stats().requests, await sandbox.google.stats().requests)
    }

    /// Runs `portrait sync` and reads what it cost from the sandbox's counters.
    private func measuredSync(_ name: String, _ sandbox: Sandbox, config: URL) async throws -> Row {
        let before = await counts(sandbox)
        let (run, json) = try sync(config)
        let after = await counts(sandbox)
        let targets = json["targets"] as? [String: [String: Any]] ?? [:]
        let written = ["m365", "gws", "intranet"].map { "\($0) \(targets[$0]?["uploaded"] as? Int ?? 0)" }.joined(separator: ", ")
        return Row(name: name, seconds: run.seconds, graphRequests: after.graph - before.graph, googleRequests: after.google - before.google,
                   written: written, peakMB: run.peakMB)
    }
}
