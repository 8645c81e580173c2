import ArgumentParser
import Foundation
import PortraitHTTP

/// What a plain client does, the minimum work of a push: one request per photo, `workers` at a
/// time, each photo sent again after a refusal — once its `Retry-After` (or a second) has passed.
enum PlainClient {
    /// Sends photos 0..<count with `send`; `refusals` are the statuses that mean "later".
    static func push(count: Int, workers: Int, refusals: Set<Int>,
                     _ send: @escaping @Sendable (Int) async throws -> HTTPReply) async throws {
        let next = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    while let index = next.take(below: count) {
                        while true {
                            let reply = try await send(index)
                            if refusals.contains(reply.status) {
                                try await Task.sleep(for: reply.retryAfter ?? .seconds(1))
                                continue
                            }
                            guard reply.status == 200 else { throw ValidationError("the plain client's PUT answered \(reply.status)") }
                            break
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}

/// Hands out photo numbers to a plain client's workers.
private final class Counter: @unchecked Sendable {
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
