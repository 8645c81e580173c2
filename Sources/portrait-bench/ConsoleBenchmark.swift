import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import PortraitConsole
import PortraitCore
import PortraitEngine
import PortraitStore

/// `make bench-console`: the console's heaviest pages on a large store — the queue with 1,000
/// waiting photos and the coverage of 10,000 people — served by the real console over loopback
/// and timed from a client (the goal: each under 200 ms).
struct ConsoleBenchmark: ParsableArguments {
    @Option(help: "People in the store, each with an account in two systems.")
    var people = 10_000

    @Option(help: "Photos waiting for approval.")
    var waiting = 1_000

    @Option(help: "Timed requests per page (after three to warm up).")
    var requests = 20

    @Option(help: "Where the store is made.")
    var work = ".build/bench"

    static let password = "benchmark password"

    func measure() async throws {
        let folder = URL(fileURLWithPath: work).standardizedFileURL.appendingPathComponent("console-\(people)-\(waiting)")
        // A store filled by an earlier run is used again: filling takes minutes. `filled` is
        // written last, so it says the filling finished.
        let filled = folder.appendingPathComponent("filled")
        if !FileManager.default.fileExists(atPath: filled.path) {
            try? FileManager.default.removeItem(at: folder)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let store = try Store(path: folder.appendingPathComponent("portrait.db").path)
            FileHandle.standardError.write(Data("Filling a store with \(people) people and \(waiting) waiting photos…\n".utf8))
            try await fill(store)
            _ = try await store.addConsoleUser(name: "hr.anna", passwordHash: LocalAccounts.hash(Self.password), role: "approver")
            try Data().write(to: filled)
        }
        let store = try Store(path: folder.appendingPathComponent("portrait.db").path)
        let policy = SyncPolicy(sources: ["entra"], targets: ["entra", "gws"], approval: ["entra"])

        var settings = ConsoleSettings()
        settings.port = 0
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let console = try Console(store: store, settings: settings, policy: policy, scheduler: nil, logger: logger)
        // Port 0: the system picks a free one, which the console tells once it listens.
        let (listening, bound) = AsyncStream.makeStream(of: Int.self)
        let server = Task { try await console.application { bound.yield($0) }.runService() }
        defer { server.cancel() }
        guard let port = await listening.first(where: { _ in true }) else { throw ValidationError("the console did not start") }

        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            try await timePages(client, base: "http://127.0.0.1:\(port)")
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    private func timePages(_ client: HTTPClient, base: String) async throws {
        let cookie = try await signIn(client, base: base)
        print("")
        print("page                      requests  median ms  p95 ms  max ms  bytes")
        var slowest = 0.0
        for (name, path, expected) in [("queue, \(waiting) waiting", "/queue", "Waiting for approval"),
                                       ("coverage, \(people) people", "/coverage", "People whose systems disagree")] {
            var times: [Double] = []
            var bytes = 0
            for round in 0..<(requests + 3) {
                let started = ContinuousClock.now
                let body = try await get(client, base + path, cookie: cookie)
                let elapsed = ContinuousClock.now - started
                guard body.contains(expected) else { throw ValidationError("\(path) did not render: \(body.prefix(300))") }
                bytes = body.utf8.count
                if round >= 3 { times.append(Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000) }
            }
            times.sort()
            let median = times[times.count / 2], p95 = times[min(times.count - 1, Int(Double(times.count) * 0.95))], worst = times.last!
            slowest = max(slowest, median)
            print(name.padding(toLength: 26, withPad: " ", startingAt: 0)
                + String(format: "%8d  %9.1f  %6.1f  %6.1f  %d", times.count, median, p95, worst, bytes))
        }
        print(String(format: "\nThe slower page's median is %.1f ms (goal: under 200 ms).", slowest))
    }

    /// People linked in Entra and Google; `waiting` of them with a photo waiting, the rest with
    /// an approved one; a tenth of Google's accounts showing another photo, so coverage lists them.
    private func fill(_ store: Store) async throws {
        var joined: [JoinedPerson] = []
        for index in 0..<people {
            let keys = MatchKeys(mail: "person\(index)@bench.test", employeeId: "E\(100_000 + index)")
            joined.append(JoinedPerson(id: nil, keys: keys, newLinks: [
                ("entra", Account(id: "entra-\(index)", keys: keys, photo: .present(version: "v1"))),
                ("gws", Account(id: "gws-\(index)", keys: keys, photo: .present(version: "v1"))),
            ]))
        }
        let ids = try await store.saveJoin(joined)
        let other = try await store.savePhoto(Data("another photo".utf8), width: 400, height: 400, fingerprint: "00")
        for (index, id) in ids.enumerated() {
            let photo = try await store.savePhoto(Data("photo \(index)".utf8), width: 648, height: 648, fingerprint: String(index, radix: 16))
            let event = PhotoEvent(personId: id, system: "entra", accountId: "entra-\(index)", personLabel: "person\(index)@bench.test",
                                   runId: nil, detail: nil)
            if index < waiting {
                try await store.queue(photo.sha256, source: "entra", firstSeen: Date(), reason: "changed in entra; entra needs approval", event: event)
            } else {
                try await store.approve(photo.sha256, source: "entra", firstSeen: Date(), by: "bench", reason: nil, event: event, action: .published)
            }
            try await store.recordSeen(system: "entra", location: "bench", accountId: "entra-\(index)", version: "v1", photo: photo.sha256)
            try await store.recordSeen(system: "gws", location: "bench", accountId: "gws-\(index)", version: "v1",
                                       photo: index % 10 == 0 ? other.sha256 : photo.sha256)
        }
    }

    private func signIn(_ client: HTTPClient, base: String) async throws -> String {
        var request = HTTPClientRequest(url: base + "/login")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: "name=hr.anna&password=" + Self.password.replacingOccurrences(of: " ", with: "+")))
        let response = try await client.execute(request, timeout: .seconds(30))
        guard response.status == .seeOther, let cookie = response.headers.first(name: "Set-Cookie")?.split(separator: ";").first else {
            throw ValidationError("could not sign in to the console")
        }
        return String(cookie)
    }

    private func get(_ client: HTTPClient, _ url: String, cookie: String) async throws -> String {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Cookie", value: cookie)
        let response = try await client.execute(request, timeout: .seconds(30))
        guard response.status == .ok else { throw ValidationError("\(url): \(response.status)") }
        return String(buffer: try await response.body.collect(upTo: 64 << 20))
    }
}
