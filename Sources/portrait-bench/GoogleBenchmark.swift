import ArgumentParser
import Foundation
import PortraitCore
import PortraitHTTP
import Sandbox

/// `make bench-google`: `portrait push` against the Google sandbox's per-admin quota, beside a
/// plain client that PUTs each original photo within the same quota (the minimum work of a push,
/// as GAM does it: Google makes its own 96×96 copy), and against the bound the quota sets; the
/// same with the sandbox's quota lower than the configured one; then under every shape a limit
/// takes, beside a plain client with the best fixed settings for that shape (it knows the limit;
/// Portrait is told only the documented quota); then a pull of a large domain whose photos are
/// all unchanged.
struct GoogleBenchmark: ParsableArguments {
    @Option(help: "Photos to push.")
    var photos = 1_000

    @Option(help: "Milliseconds the sandbox adds to every request.")
    var latencyMs = 50

    @Option(help: "Requests per minute per admin, configured and (unless halved) in the sandbox, for the first runs.")
    var quota = 2_400

    @Option(help: "A quota smaller than the job, for the runs where the quota binds (0 skips them).")
    var bindingQuota = 600

    @Option(help: "Photos to push under each limit shape (0 skips them).")
    var shapePhotos = 300

    @Option(help: "Users in the domain of the pull run.")
    var pullUsers = 10_000

    @Option(help: "Where generated photos and outputs are kept between runs.")
    var work = ".build/bench"

    /// The plain client's workers, as many as Portrait's Google concurrency allows.
    static let referenceWorkers = 32

    struct Row {
        var name: String
        var seconds: Double
        var requests: Int
        var quotaErrors: Int
        var early: Int
        var lost: Int
        var peakMB: Double
    }

    func measure() async throws {
        let root = URL(fileURLWithPath: work).standardizedFileURL
        let photoFolder = root.appendingPathComponent("photos-640x800")
        try PhotoSet.generate(count: photos, width: 640, height: 800, into: photoFolder)
        var rows: [Row] = []
        var ratios: [String] = []

        // 1. The quota as configured, then the sandbox's at half of it.
        for (configured, real) in [(quota, quota), (quota, quota / 2)] {
            let reference = try await withSandbox(quota: real) { try await referencePush($0, photoFolder: photoFolder, quota: real) }
            let push = try await withSandbox(quota: real) { sandbox in
                try await portraitPush(sandbox, photoFolder: photoFolder, root: root, configured: configured, real: real)
            }
            rows += [reference, push]
            ratios.append(String(format: "quota %d/min (configured %d): %.1f photos/s, %.0f%% of the quota's rate (%.1f/s), %.0f%% of the plain client (%.2f s against %.2f s); %d quota errors, %d early, %d lost",
                                 real, configured, Double(photos) / push.seconds, 100 * Double(photos) / push.seconds / (Double(real) / 60),
                                 Double(real) / 60, 100 * reference.seconds / push.seconds, push.seconds, reference.seconds,
                                 push.quotaErrors, push.early, push.lost))
        }

        // 2. A quota smaller than the job, so that it binds: as configured, then the sandbox's at half.
        if bindingQuota > 0 {
            for (configured, real) in [(bindingQuota, bindingQuota), (bindingQuota, bindingQuota / 2)] {
                let push = try await withSandbox(quota: real) { sandbox in
                    try await portraitPush(sandbox, photoFolder: photoFolder, root: root, configured: configured, real: real)
                }
                rows.append(push)
                // However fast, `photos` requests under `real` per minute need this many full windows.
                let bound = 60.0 * Double((photos - 1) / real)
                ratios.append(String(format: "quota %d/min (configured %d), binding: %.2f s against the quota's bound of %.0f s: %.0f%%; %d quota errors, %d early, %d lost",
                                     real, configured, push.seconds, bound, 100 * bound / push.seconds, push.quotaErrors, push.early, push.lost))
            }
        }

        // 3. Every shape a limit takes, Portrait told only the documented quota: push, sync and
        // pull, each in a fresh domain beside a plain client with the best fixed settings for the
        // shape. A sync into an empty domain has a push's minimum work: one PUT per photo.
        if shapePhotos > 0 {
            for shape in Self.shapes(photos: shapePhotos, quota: quota) {
                let reference = try await withSandbox(quota: 0, limits: shape.limits, earlyPenalty: shape.earlyPenalty, users: shape.photos) {
                    try await referencePush($0, photoFolder: photoFolder, name: "plain push, \(shape.name)", count: shape.photos,
                                            workers: shape.workers, pace: shape.pace)
                }
                rows.append(reference)
                for command in ["push", "sync"] {
                    let run = try await withSandbox(quota: 0, limits: shape.limits, earlyPenalty: shape.earlyPenalty, users: shape.photos) { sandbox in
                        try await portraitPush(sandbox, photoFolder: photoFolder, root: root, configured: quota, real: 0,
                                               name: "\(command), \(shape.name)", count: shape.photos, sync: command == "sync")
                    }
                    rows.append(run)
                    ratios.append(String(format: "%@, %@: %d photos in %.2f s against the plain client's %.2f s: %.2f of it; %d refusals, %d early, %d lost",
                                         command, shape.name, shape.photos, run.seconds, reference.seconds, reference.seconds / run.seconds,
                                         run.quotaErrors, run.early, run.lost))
                }
                let pullReference = try await withSandbox(quota: 0, limits: shape.limits, earlyPenalty: shape.earlyPenalty, users: shape.photos, photoFraction: 1) {
                    try await referencePull($0, name: "plain pull, \(shape.name)", count: shape.photos, workers: shape.workers, pace: shape.pace)
                }
                let pull = try await withSandbox(quota: 0, limits: shape.limits, earlyPenalty: shape.earlyPenalty, users: shape.photos, photoFraction: 1) { sandbox in
                    try await portraitPull(sandbox, root: root, quota: quota, name: "pull, \(shape.name)", count: shape.photos)
                }
                rows += [pullReference, pull]
                ratios.append(String(format: "pull, %@: %d photos in %.2f s against the plain client's %.2f s: %.2f of it; %d refusals, %d early, %d not pulled",
                                     shape.name, shape.photos, pull.seconds, pullReference.seconds, pullReference.seconds / pull.seconds,
                                     pull.quotaErrors, pull.early, pull.lost))
            }
        }

        // 4. A large domain, every photo unchanged since the last pull.
        try await withSandbox(quota: quota, users: pullUsers, photoFraction: 0.3) { sandbox in
            let run = try prepare(root.appendingPathComponent("google-pull"), sandbox: sandbox, photoFolder: photoFolder, quota: quota, people: 0)
            FileHandle.standardError.write(Data("first pull of \(pullUsers) users…\n".utf8))
            _ = try portrait(["pull", "--config", run.config, "--from", "gws", "--out", run.folder + "/pulled", "--json"])
            let before = await sandbox.google.stats()
            FileHandle.standardError.write(Data("pull again, nothing changed…\n".utf8))
            let again = try portrait(["pull", "--config", run.config, "--from", "gws", "--out", run.folder + "/pulled", "--json"])
            let after = await sandbox.google.stats()
            rows.append(Row(name: "pull \(pullUsers) users, unchanged", seconds: again.seconds, requests: after.requests - before.requests,
                            quotaErrors: after.throttled - before.throttled, early: after.earlyRequests - before.earlyRequests,
                            lost: 0, peakMB: again.peakMB))
            ratios.append(String(format: "pull of %d unchanged users: %d requests (goal ≤ 25), %d downloads, %.2f s",
                                 pullUsers, after.requests - before.requests, after.downloads - before.downloads, again.seconds))
        }

        print("")
        print("run                                          seconds  requests  quota errors  early  lost  peak RSS")
        for row in rows {
            let memory = row.peakMB > 0 ? String(format: "%5.1f MB", row.peakMB) : "       -"
            print(row.name.padding(toLength: 44, withPad: " ", startingAt: 0)
                + String(format: " %7.2f  %8d  %12d  %5d  %4d  %@", row.seconds, row.requests, row.quotaErrors, row.early, row.lost, memory))
        }
        print("")
        for ratio in ratios { print(ratio) }
    }

    /// A shape of Google's limits, and the fixed settings a plain client that knows it would use.
    struct Shape {
        var name: String
        var limits: [LimitShape]
        var photos: Int
        var workers = GoogleBenchmark.referenceWorkers
        var pace: [(requests: Int, per: Duration)]
        var earlyPenalty: Duration = .zero
    }

    static func shapes(photos: Int, quota: Int) -> [Shape] {
        let minute = LimitShape.window(quota, per: .seconds(60), retryAfter: false)
        let documented = (requests: quota, per: Duration.seconds(60))
        return [
            Shape(name: "burst 80/s, Retry-After", limits: [.window(80, per: .seconds(1)), minute], photos: photos,
                  pace: [(80, .seconds(1)), documented]),
            Shape(name: "burst 80/s, no Retry-After", limits: [.window(80, per: .seconds(1), retryAfter: false), minute], photos: photos,
                  pace: [(80, .seconds(1)), documented]),
            Shape(name: "6 at once", limits: [.concurrency(6), minute], photos: photos, workers: 6, pace: [documented]),
            Shape(name: "quota 600/min, \(quota) configured", limits: [.window(600, per: .seconds(60), retryAfter: false)],
                  photos: photos * 7 / 3, pace: [(600, .seconds(60))]),
            Shape(name: "40/s, halved 2–6 s", limits: [.window(40, per: .seconds(1), halved: .seconds(2) ..< .seconds(6)), minute],
                  photos: photos, pace: [(40, .seconds(1)), documented]),
            Shape(name: "burst 80/s, early ones +5 s", limits: [.window(80, per: .seconds(1)), minute], photos: photos,
                  pace: [(80, .seconds(1)), documented], earlyPenalty: .seconds(5)),
        ]
    }

    /// Portrait's push (or a sync from the folder), as users run it, and what it cost the sandbox.
    private func portraitPush(_ sandbox: Sandbox, photoFolder: URL, root: URL, configured: Int, real: Int,
                              name given: String? = nil, count: Int? = nil, sync: Bool = false) async throws -> Row {
        let count = count ?? photos
        let run = try prepare(root.appendingPathComponent("google-push"), sandbox: sandbox, photoFolder: photoFolder, quota: configured, people: count)
        let before = await sandbox.google.stats()
        let name = given ?? "push \(photos), quota \(real)/min" + (configured == real ? "" : " (config \(configured))")
        FileHandle.standardError.write(Data("\(name)…\n".utf8))
        let result = try portrait((sync ? ["sync"] : ["push", "--from", "photographer", "--to", "gws"]) + ["--config", run.config, "--json"])
        let after = await sandbox.google.stats()
        return Row(name: name, seconds: result.seconds, requests: after.requests - before.requests,
                   quotaErrors: after.throttled - before.throttled, early: after.earlyRequests - before.earlyRequests,
                   lost: try await lost(sandbox, count: count), peakMB: result.peakMB)
    }

    /// What a plain client does, the minimum work of a push: each original photo as it is, one PUT
    /// each, `workers` at a time, paced by fixed windows (the quota's, by default), waiting out
    /// each refusal's Retry-After (or a second).
    private func referencePush(_ sandbox: Sandbox, photoFolder: URL, quota: Int = 0, name given: String? = nil, count: Int? = nil,
                               workers: Int = referenceWorkers, pace: [(requests: Int, per: Duration)]? = nil) async throws -> Row {
        let count = count ?? photos
        let name = given ?? "reference, quota \(quota)/min"
        FileHandle.standardError.write(Data("\(name)…\n".utf8))
        let bodies = try (0..<count).map { index -> Data in
            let original = try Data(contentsOf: photoFolder.appendingPathComponent(PhotoSet.fileName(index)))
            return try JSONSerialization.data(withJSONObject: ["photoData": Base64URL.encode(original), "mimeType": "JPEG"])
        }
        let token = await sandbox.google.accessToken(actingAs: sandbox.options.googleAdmin)
        let http = try HTTPService()
        let pacers = (pace ?? [(quota, .seconds(60))]).map { FixedPacer(requests: $0.requests, per: $0.per) }
        let before = await sandbox.google.stats()
        let clock = ContinuousClock()
        let started = clock.now
        try await PlainClient.each(count: count, workers: workers, refusals: [403, 429, 503]) { index in
            let user = SamplePeople.mail(index, domain: "example.com")
            for pacer in pacers { await pacer.next() }
            return try await http.send(HTTPRequestSpec(
                method: .PUT, url: "\(sandbox.baseURL)/admin/directory/v1/users/\(user)/photos/thumbnail",
                headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")], body: bodies[index]))
        }
        let seconds = (clock.now - started).seconds
        let after = await sandbox.google.stats()
        return Row(name: name, seconds: seconds, requests: after.requests - before.requests,
                   quotaErrors: after.throttled - before.throttled, early: after.earlyRequests - before.earlyRequests,
                   lost: try await lost(sandbox, count: count), peakMB: 0)
    }

    /// Portrait's pull of a domain where everyone has a photo; `lost` counts photos not pulled.
    private func portraitPull(_ sandbox: Sandbox, root: URL, quota: Int, name: String, count: Int) async throws -> Row {
        let run = try prepare(root.appendingPathComponent("google-pull-shape"), sandbox: sandbox, photoFolder: root, quota: quota, people: 0)
        let before = await sandbox.google.stats()
        FileHandle.standardError.write(Data("\(name)…\n".utf8))
        let result = try portrait(["pull", "--config", run.config, "--from", "gws", "--out", run.folder + "/pulled", "--json"])
        let after = await sandbox.google.stats()
        let pulled = (try? FileManager.default.contentsOfDirectory(atPath: run.folder + "/pulled").filter { $0.hasSuffix(".jpg") }.count) ?? 0
        return Row(name: name, seconds: result.seconds, requests: after.requests - before.requests,
                   quotaErrors: after.throttled - before.throttled, early: after.earlyRequests - before.earlyRequests,
                   lost: count - pulled, peakMB: result.peakMB)
    }

    /// What a plain client does, the minimum work of a pull: one GET of each user's photo, paced
    /// and refused as `referencePush` is.
    private func referencePull(_ sandbox: Sandbox, name: String, count: Int, workers: Int,
                               pace: [(requests: Int, per: Duration)]) async throws -> Row {
        FileHandle.standardError.write(Data("\(name)…\n".utf8))
        let token = await sandbox.google.accessToken(actingAs: sandbox.options.googleAdmin)
        let http = try HTTPService()
        let pacers = pace.map { FixedPacer(requests: $0.requests, per: $0.per) }
        let before = await sandbox.google.stats()
        let clock = ContinuousClock()
        let started = clock.now
        try await PlainClient.each(count: count, workers: workers, refusals: [403, 429, 503]) { index in
            for pacer in pacers { await pacer.next() }
            return try await http.send(HTTPRequestSpec(
                method: .GET, url: "\(sandbox.baseURL)/admin/directory/v1/users/\(SamplePeople.mail(index, domain: "example.com"))/photos/thumbnail",
                headers: [("Authorization", "Bearer \(token)")]))
        }
        let seconds = (clock.now - started).seconds
        let after = await sandbox.google.stats()
        return Row(name: name, seconds: seconds, requests: after.requests - before.requests,
                   quotaErrors: after.throttled - before.throttled, early: after.earlyRequests - before.earlyRequests,
                   lost: 0, peakMB: 0)
    }

    private func lost(_ sandbox: Sandbox, count: Int) async throws -> Int {
        var lost = 0
        for index in 0..<count where await sandbox.google.photo(ofUser: SamplePeople.mail(index, domain: "example.com")) == nil {
            lost += 1
        }
        return lost
    }

    /// A sandbox whose Google has the documented quota (`quota` a minute; none at 0), or `limits`.
    private func withSandbox<T>(quota: Int, limits: [LimitShape]? = nil, earlyPenalty: Duration = .zero, users: Int? = nil,
                                photoFraction: Double = 0, _ body: (Sandbox) async throws -> T) async throws -> T {
        var options = SandboxOptions()
        options.users = users ?? photos
        options.latency = .milliseconds(latencyMs)
        options.photoFraction = photoFraction
        options.googleLimits = limits ?? SyncBenchmark.googleLimits(quota)
        options.earlyPenalty = earlyPenalty
        return try await Sandbox.run(options, body)
    }

    /// A fresh folder with the sandbox's key, a CSV mapping the photos to the domain's first
    /// users, and a config.
    private func prepare(_ folder: URL, sandbox: Sandbox, photoFolder: URL, quota: Int, people: Int) throws -> (config: String, folder: String) {
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var csv = "path,mail\n"
        for index in 0..<people {
            csv += "\(photoFolder.appendingPathComponent(PhotoSet.fileName(index)).path),\(SamplePeople.mail(index, domain: "example.com"))\n"
        }
        try Data(csv.utf8).write(to: folder.appendingPathComponent("map.csv"))
        let key = folder.appendingPathComponent("google-key.json")
        FileManager.default.createFile(atPath: key.path, contents: sandbox.google.serviceAccountKey(tokenURI: sandbox.baseURL + "/token"),
                                       attributes: [.posixPermissions: 0o600])
        try Data("""
            [systems.photographer]
            type = "folder"
            path = "\(photoFolder.path)"
            csv = "map.csv"

            [systems.gws]
            type = "google"
            service_account_file = "google-key.json"
            admin = "\(sandbox.options.googleAdmin)"
            api_url = "\(sandbox.baseURL)"
            quota_per_minute = \(quota)

            [sync]
            sources = ["photographer"]
            targets = ["gws"]
            """.utf8).write(to: folder.appendingPathComponent("portrait.toml"))
        return (folder.appendingPathComponent("portrait.toml").path, folder.path)
    }

    private func portrait(_ arguments: [String]) throws -> Child.Measurement {
        let result = try Child.run(Child.benchmarkExecutable, [Child.portraitCommand] + arguments)
        guard result.status == 0 else {
            throw ValidationError("portrait \(arguments.first ?? "") exited \(result.status): \(String(decoding: result.stdout, as: UTF8.self))")
        }
        return result
    }
}
