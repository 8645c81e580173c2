import Foundation
import Logging
import NIOConcurrencyHelpers
import PortraitCore

/// A sync, run for the console by the app that hosts it: the app knows the systems, the console
/// only asks.
public protocol ConsoleSyncing: Sendable {
    /// One sync as `portrait sync` runs it — the same run lock, so one at a time with the CLI's —
    /// telling `progress` how many people are done of how many, and starting no new write once
    /// `stop` is requested; its outcome (`ok`, `partial`, `failed`, `interrupted`) and summary
    /// line, as the Runs page shows them.
    func sync(stop: StopSignal, progress: @escaping @Sendable (_ done: Int, _ total: Int) -> Void) async throws -> (outcome: String, summary: String)
}

/// Runs syncs for the console: every `[serve] sync_every` and when someone presses "Sync now",
/// never two at once. The interval counts from the end of the last run, so a failing sync is
/// tried again at the next interval, never in a tight loop.
public final class SyncScheduler: Sendable {
    public struct State: Sendable {
        public var running = false
        public var startedBy = ""
        public var startedAt: Date?
        public var done = 0
        public var total = 0
        public var last: Finished?
        public var nextAt: Date?
    }

    public struct Finished: Sendable {
        public var outcome: String
        public var summary: String
        public var at: Date
        public var by: String
    }

    private let syncing: any ConsoleSyncing
    public let every: Duration?
    private let logger: Logger
    private let current = NIOLockedValueBox(State())
    private let finishedRun = NIOLockedValueBox<Task<Void, Never>?>(nil)
    /// Set when the console stops: the sync in flight starts no new write, and none starts.
    private let stopping = StopSignal()

    public init(syncing: any ConsoleSyncing, every: Duration?, logger: Logger) {
        self.syncing = syncing
        self.every = every
        self.logger = logger
    }

    public var state: State { current.withLockedValue { $0 } }

    /// Starts a sync unless one is running; false if one is.
    @discardableResult
    public func start(by who: String) -> Bool {
        let started = current.withLockedValue { state -> Bool in
            guard !state.running, !stopping.requested else { return false }
            state.running = true
            state.startedBy = who
            state.startedAt = Date()
            (state.done, state.total) = (0, 0)
            return true
        }
        guard started else { return false }
        logger.info("console: sync started by \(who)")
        let run = Task { await self.run(by: who) }
        finishedRun.withLockedValue { $0 = run }
        return true
    }

    /// Waits for the sync in flight, if any.
    public func waitForRun() async {
        await finishedRun.withLockedValue { $0 }?.value
    }

    /// The console is stopping: the sync in flight finishes what it is writing and starts
    /// nothing new (it ends `interrupted`, as `portrait sync` on Ctrl-C); none starts after.
    public func stop() async {
        stopping.request()
        await waitForRun()
    }

    /// Syncs every `every` until cancelled (when the console stops).
    public func runSchedule() async {
        guard let every else { return }
        while !Task.isCancelled {
            current.withLockedValue { $0.nextAt = Date().addingTimeInterval(Double(every.components.seconds)) }
            do {
                try await Task.sleep(for: every)
            } catch {
                return
            }
            start(by: "the schedule")
            await waitForRun()
        }
    }

    private func run(by who: String) async {
        let finished: Finished
        do {
            let result = try await syncing.sync(stop: stopping) { done, total in
                self.current.withLockedValue { ($0.done, $0.total) = (done, total) }
            }
            finished = Finished(outcome: result.outcome, summary: result.summary, at: Date(), by: who)
        } catch {
            finished = Finished(outcome: "failed", summary: "\(error)", at: Date(), by: who)
        }
        logger.log(level: finished.outcome == "ok" ? .info : .warning, "console: sync started by \(who) ended \(finished.outcome): \(finished.summary)")
        current.withLockedValue {
            $0.running = false
            $0.last = finished
        }
    }
}
