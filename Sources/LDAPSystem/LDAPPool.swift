import Foundation
import PortraitCore
import Synchronization

/// A thread of its own holding one connection: libldap's calls block, so they never run on Swift
/// concurrency's few threads or an event loop.
final class LDAPWorker: @unchecked Sendable {
    private let condition = NSCondition()
    /// Guarded by `condition`; nil asks the thread to end.
    private var jobs: [(@Sendable () -> Void)?] = []
    /// Touched only on the worker's thread.
    private var connection: LDAPConnection?

    init(name: String) {
        let thread = Thread { [self] in loop() }
        thread.name = name
        thread.start()
    }

    /// Runs `operation` on this worker's thread with its connection, connecting (and binding)
    /// first when there is none. A connection found dropped is made again and, when `retry`
    /// allows, the operation is tried once more: reads and replace-writes may be repeated.
    func run<T: Sendable>(_ endpoint: LDAPEndpoint, counter: OperationCounter, retry: Bool,
                          _ operation: @escaping @Sendable (LDAPConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            enqueue {
                continuation.resume(with: Result { try self.withConnection(endpoint, counter, retry: retry, operation) })
            }
        }
    }

    /// Runs `work` on this worker's thread, without its connection.
    func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            enqueue { continuation.resume(returning: work()) }
        }
    }

    func stop() { enqueue(nil) }

    private func withConnection<T>(_ endpoint: LDAPEndpoint, _ counter: OperationCounter, retry: Bool,
                                   _ operation: (LDAPConnection) throws -> T) throws -> T {
        let reused = connection != nil
        if connection == nil { connection = try LDAPConnection(endpoint, counter: counter) }
        do {
            return try operation(connection!)
        } catch let failure as LDAPFailure where failure.connectionLost {
            connection = nil
            guard retry, reused else { throw failure }
            connection = try LDAPConnection(endpoint, counter: counter)
            return try operation(connection!)
        }
    }

    private func enqueue(_ job: (@Sendable () -> Void)?) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            guard let job else {
                connection = nil
                return
            }
            job()
        }
    }
}

/// A few bound connections, each on its worker thread, lent to one operation at a time.
final class LDAPPool: Sendable {
    private struct State {
        var idle: [LDAPWorker]
        var waiting: [CheckedContinuation<LDAPWorker, Never>] = []
    }

    private let endpoint: LDAPEndpoint
    private let workers: [LDAPWorker]
    private let state: Mutex<State>
    /// Requests sent to the server (binds and each page included), for `-v` and the benchmark.
    let operations = OperationCounter()

    init(endpoint: LDAPEndpoint, size: Int, name: String) {
        self.endpoint = endpoint
        workers = (0..<size).map { LDAPWorker(name: "\(name) ldap \($0 + 1)") }
        state = Mutex(State(idle: workers))
    }

    deinit {
        for worker in workers { worker.stop() }
    }

    /// Runs `operation` on a free connection.
    func perform<T: Sendable>(retry: Bool = true, _ operation: @escaping @Sendable (LDAPConnection) throws -> T) async throws -> T {
        let worker = await acquire()
        defer { release(worker) }
        return try await worker.run(endpoint, counter: operations, retry: retry, operation)
    }

    /// Whether the connection failed on the server's certificate rather than the network.
    func certificateRefused() async -> Bool {
        let url = endpoint.url.lowercased()
        guard endpoint.verifyTLS, endpoint.startTLS || url.hasPrefix("ldaps:") else { return false }
        let worker = await acquire()
        defer { release(worker) }
        return await worker.run { [endpoint] in LDAPConnection.answersWithoutVerifying(endpoint) }
    }

    private func acquire() async -> LDAPWorker {
        await withCheckedContinuation { continuation in
            let worker = state.withLock { state -> LDAPWorker? in
                if let worker = state.idle.popLast() { return worker }
                state.waiting.append(continuation)
                return nil
            }
            if let worker { continuation.resume(returning: worker) }
        }
    }

    private func release(_ worker: LDAPWorker) {
        let next = state.withLock { state -> CheckedContinuation<LDAPWorker, Never>? in
            if state.waiting.isEmpty {
                state.idle.append(worker)
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume(returning: worker)
    }
}

/// A count shared by a pool's connections.
final class OperationCounter: Sendable {
    private let value = Atomic<Int>(0)

    func add() { value.add(1, ordering: .relaxed) }

    var total: Int { value.load(ordering: .relaxed) }
}
