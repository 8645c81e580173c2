import ArgumentParser
import Foundation
import PortraitCore
import PortraitHTTP
import PortraitImaging
import Sandbox

/// What a plain client does, the minimum work of a push or a pull: one request per photo,
/// `workers` at a time, each sent again after a refusal — once its `Retry-After` (or a second)
/// has passed, for which every worker waits: a client that honours Retry-After sends nothing
/// before it.
enum PlainClient {
    /// Sends the requests for photos 0..<count with `send`; `refusals` are the statuses that mean
    /// "later", and any other but 200 ends the run.
    static func each(count: Int, workers: Int, refusals: Set<Int>,
                     _ send: @escaping @Sendable (Int) async throws -> HTTPReply) async throws {
        let next = Counter()
        let hold = Hold()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    while let index = next.take(below: count) {
                        while true {
                            await hold.wait()
                            let reply = try await send(index)
                            if refusals.contains(reply.status) {
                                await hold.extend(by: reply.retryAfter ?? .seconds(1))
                                continue
                            }
                            guard reply.status == 200 else { throw ValidationError("the plain client's request for photo \(index) answered \(reply.status)") }
                            break
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

/// Until when a plain client sends nothing: the latest Retry-After it was given.
actor Hold {
    private var until: ContinuousClock.Instant?
    private let clock = ContinuousClock()

    func extend(by duration: Duration) {
        let end = clock.now + duration
        if until.map({ $0 < end }) ?? true { until = end }
    }

    func wait() async {
        while let until, clock.now < until {
            try? await clock.sleep(until: until)
        }
    }
}

/// A plain client's fixed pacing: at most `requests` starts in any `window` (kept 2% longer, for
/// requests that arrive later than they leave), never adapting — the settings a person who knows
/// the service's limit would type in.
actor FixedPacer {
    private let requests: Int
    private let window: Duration
    private var starts: [ContinuousClock.Instant] = []
    private let clock = ContinuousClock()

    init(requests: Int, per window: Duration) {
        self.requests = max(1, requests)
        self.window = window * 1.02
    }

    /// Waits until a request may start, and counts it.
    func next() async {
        while true {
            let now = clock.now
            starts.removeAll { $0 <= now - window }
            guard starts.count >= requests else {
                starts.append(now)
                return
            }
            try? await clock.sleep(until: starts[starts.count - requests] + window)
        }
    }
}

/// Hands out work items to a plain client's workers.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func take(below limit: Int) -> Int? {
        lock.withLock {
            guard value < limit else { return nil }
            value += 1
            return value - 1
        }
    }
}

/// The minimum work of one sync run for a plain client that remembers each Entra photo's etag:
/// list the users, ask every photo's etag (4 at a time: Graph has no cheaper signal), download
/// the changed ones and send each on as soon as it arrives — a PUT of the photo as it is to
/// Google (32 at a time, within the quota; Google makes its own copy) and a 96 px ≤ 10 KB file
/// in a folder.
struct PlainSync {
    let sandbox: Sandbox
    let folder: URL
    let quota: Int
    let http: HTTPService

    init(sandbox: Sandbox, folder: URL, quota: Int) throws {
        self.sandbox = sandbox
        self.folder = folder
        self.quota = quota
        http = try HTTPService()
    }

    /// Every user's photo etag as of now: the state a plain client keeps between runs.
    func remember() async throws -> [String: String] {
        let token = try await graphToken(sandbox)
        let users = try await listUsers(token)
        let etags = Box<[String: String]>([:])
        try await eachUser(users, token) { id, _, etag in etags.update { $0[id] = etag } }
        return etags.value
    }

    /// One run: returns how many photos it sent on (each to Google and to the folder).
    func run(known: [String: String]) async throws -> Int {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let token = try await graphToken(sandbox)
        let googleToken = await sandbox.google.accessToken(actingAs: sandbox.options.googleAdmin)
        let window = FixedPacer(requests: quota, per: .seconds(60))
        let (changed, arrivals) = AsyncStream.makeStream(of: (mail: String, photo: Data).self)
        let pipeline = ImagePipeline()
        let sent = Box(0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                // However this ends, the senders below must see the stream end.
                defer { arrivals.finish() }
                let users = try await listUsers(token)
                try await eachUser(users, token) { id, mail, etag in
                    guard let etag, etag != known[id] else { return }
                    let reply = try await send(.GET, "/v1.0/users/\(id)/photo/$value", token)
                    arrivals.yield((mail, reply.body))
                }
            }
            group.addTask {
                try await withThrowingTaskGroup(of: Void.self) { sends in
                    for await (mail, photo) in changed {
                        sends.addTask {
                            let body = try JSONSerialization.data(withJSONObject: ["photoData": Base64URL.encode(photo), "mimeType": "JPEG"])
                            while true {
                                await window.next()
                                let reply = try await http.send(HTTPRequestSpec(
                                    method: .PUT, url: "\(sandbox.baseURL)/admin/directory/v1/users/\(mail)/photos/thumbnail",
                                    headers: [("Authorization", "Bearer \(googleToken)"), ("Content-Type", "application/json")], body: body))
                                if [403, 429, 503].contains(reply.status) {
                                    try await Task.sleep(for: reply.retryAfter ?? .seconds(1))
                                    continue
                                }
                                guard reply.status == 200 else { throw ValidationError("the plain client's Google PUT answered \(reply.status)") }
                                sent.update { $0 += 1 }
                                break
                            }
                        }
                        sends.addTask {
                            let small = try pipeline.render(Photo(bytes: photo, version: nil, origin: mail),
                                                            profiles: [RenditionProfile(side: 96, maxBytes: 10_240)])
                            try small.renditions[0].bytes.write(to: folder.appendingPathComponent("\(mail).jpg"))
                        }
                    }
                    try await sends.waitForAll()
                }
            }
            try await group.waitForAll()
        }
        return sent.value
    }

    /// Every user's etag, `graphConcurrency` at a time, handed to `body` with the user's mail.
    private func eachUser(_ users: [(id: String, mail: String)], _ token: String,
                          _ body: @escaping @Sendable (String, String, String?) async throws -> Void) async throws {
        let next = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<SyncBenchmark.graphConcurrency {
                group.addTask {
                    while let index = next.take(below: users.count) {
                        let (id, mail) = users[index]
                        let reply = try await send(.GET, "/v1.0/users/\(id)/photo", token)
                        let etag = reply.status == 200
                            ? ((try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any])?["@odata.mediaEtag"] as? String : nil
                        try await body(id, mail, etag)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    private func listUsers(_ token: String) async throws -> [(id: String, mail: String)] {
        var users: [(id: String, mail: String)] = []
        var next: String? = "\(sandbox.baseURL)/v1.0/users?$select=id,mail&$top=999"
        while let url = next {
            let reply = try await http.send(HTTPRequestSpec(method: .GET, url: url, headers: [("Authorization", "Bearer \(token)")], body: nil))
            let page = (try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any]
            for user in page?["value"] as? [[String: Any]] ?? [] {
                if let id = user["id"] as? String, let mail = user["mail"] as? String { users.append((id, mail)) }
            }
            next = page?["@odata.nextLink"] as? String
        }
        return users
    }

    /// A Graph request, sent again after a refusal once its Retry-After has passed.
    private func send(_ method: HTTPRequestSpec.Method, _ path: String, _ token: String) async throws -> HTTPReply {
        while true {
            let reply = try await http.send(HTTPRequestSpec(method: method, url: sandbox.baseURL + path,
                                                            headers: [("Authorization", "Bearer \(token)")], body: nil))
            guard [429, 503].contains(reply.status) else { return reply }
            try await Task.sleep(for: reply.retryAfter ?? .seconds(1))
        }
    }
}

/// A Graph token from the sandbox's Entra endpoint, as a plain client gets one: client credentials.
func graphToken(_ sandbox: Sandbox) async throws -> String {
    let reply = try await HTTPService().send(HTTPRequestSpec(
        method: .POST, url: "\(sandbox.baseURL)/\(sandbox.options.tenant)/oauth2/v2.0/token",
        headers: [("Content-Type", "application/x-www-form-urlencoded")],
        body: Data("grant_type=client_credentials&client_id=\(sandbox.options.clientId)&client_secret=sandbox-secret&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default".utf8)))
    guard let token = ((try? JSONSerialization.jsonObject(with: reply.body)) as? [String: Any])?["access_token"] as? String else {
        throw ValidationError("the sandbox gave no token")
    }
    return token
}

/// A value the plain client's workers update together.
final class Box<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func update(_ change: (inout Value) -> Void) { lock.withLock { change(&stored) } }
}
